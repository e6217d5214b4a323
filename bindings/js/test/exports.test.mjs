// The export map sends each runtime to its entry, and every file an entry needs at run time is
// in the package: Node.js to js/node.js, browsers (and anything unnamed) to js/browser.js,
// workerd (Cloudflare Workers) to js/workerd.js. No entry is marked free of side effects: each
// one loads the module before it exports anything, and a bundler told otherwise would skip it.
import assert from "node:assert/strict";
import { existsSync, readFileSync } from "node:fs";
import { test } from "node:test";

const pkg = JSON.parse(readFileSync(new URL("../package.json", import.meta.url), "utf8"));

test("each runtime resolves to its own entry, and the entries exist", () => {
  assert.deepEqual(pkg.exports["."], {
    types: "./index.d.ts",
    workerd: "./js/workerd.js",
    browser: "./js/browser.js",
    node: "./js/node.js",
    default: "./js/browser.js",
  });
  assert.equal(pkg.exports["./compat"].default, "./js/compat.js");
  for (const target of [...Object.values(pkg.exports["."]), ...Object.values(pkg.exports["./compat"])]) {
    assert.ok(existsSync(new URL(`../${target}`, import.meta.url)), target);
  }
  assert.equal(pkg.sideEffects, undefined, "the entries have side effects: they load the module");
});
