// A Worker that validates what it is sent with the package's Workers build; run in workerd by
// test/workerd.test.mjs.
import { validate } from "./js/workerd.js";

export default {
  async fetch(request) {
    const cases = await request.json();
    return Response.json({
      nodeApis: typeof process !== "undefined",
      lines: cases.map(([input, legacy]) => JSON.stringify(validate(input, { legacy }))),
    });
  },
};
