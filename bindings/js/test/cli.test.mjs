// The package answers exactly as the command line does: every report, byte for byte, for every
// vector in docs/format.md and every edge case, with and without legacy forms; the summary; and
// the inspection of every valid input.
import assert from "node:assert/strict";
import { test } from "node:test";

import { inspect, summary, validate, validateLines } from "chittyid-format";
import { EDGE_CASES, cli, documentVectors } from "./vectors.mjs";

const inputs = [...documentVectors(), ...EDGE_CASES];
const text = inputs.join("\n") + "\n";

for (const legacy of [false, true]) {
  const flags = legacy ? ["--legacy"] : [];

  test(`every report is the command line's, byte for byte (legacy: ${legacy})`, () => {
    const lines = cli(["validate", "--json", ...flags], text).split("\n").slice(0, -1);
    assert.equal(lines.length, inputs.length);
    const fromText = validateLines(text, { legacy });
    inputs.forEach((input, i) => {
      assert.equal(JSON.stringify(fromText[i]), lines[i], `line ${i + 1}: ${JSON.stringify(input)}`);
      // A single input is the whole input; a line is cut at 129 bytes, as the command line reads it.
      if (Buffer.byteLength(input) <= 129) {
        assert.equal(JSON.stringify(validate(input, { legacy })), lines[i], JSON.stringify(input));
      }
    });
  });

  test(`an argument's report is the command line's (legacy: ${legacy})`, () => {
    for (const input of inputs.filter((i) => i !== "" && !i.startsWith("-"))) {
      const line = cli(["validate", "--json", ...flags, input]).trimEnd();
      assert.equal(JSON.stringify(validate(input, { legacy })), line, JSON.stringify(input));
    }
  });

  test(`the summary is the command line's (legacy: ${legacy})`, () => {
    const printed = cli(["validate", "--json", "--summary", "--quiet", ...flags], text).trimEnd();
    assert.equal(JSON.stringify({ summary: summary(text, { legacy }) }), printed);
    assert.equal(JSON.stringify({ summary: summary(text.replaceAll("\n", "\r\n"), { legacy }) }), printed);
  });

  test(`inspect gives what chittyid inspect prints (legacy: ${legacy})`, () => {
    const valid = inputs.filter((i) => validate(i, { legacy }).valid);
    assert.ok(valid.length >= 6, `only ${valid.length} valid inputs`);
    for (const input of valid) {
      assert.deepEqual(inspect(input, { legacy }), JSON.parse(cli(["inspect", ...flags, input])));
    }
  });
}
