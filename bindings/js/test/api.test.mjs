// The package's own promises: types, errors, summaries of text and of lists, the checksum.
import assert from "node:assert/strict";
import { test } from "node:test";

import {
  ChittyIdError,
  checksum,
  inspect,
  isValid,
  parse,
  suggest,
  summary,
  validate,
} from "chittyid-format";

const ID = "03-1-USA-0001-P-2602-0-85";

test("validate names the fault and suggests the fix", () => {
  const report = validate("03-1-USA-O001-P-2602-0-85");
  assert.equal(report.valid, false);
  assert.equal(report.error.code, "invalid_character");
  assert.equal(report.error.segment, "sequence");
  assert.equal(report.suggestion, ID);
  assert.equal(suggest("03-1-USA-O001-P-2602-0-85"), ID);
  assert.equal(suggest(ID), null);
});

test("isValid answers false for anything but a string", () => {
  assert.equal(isValid(ID), true);
  for (const value of [null, undefined, 12345, {}, [], [ID], new String(ID)]) {
    assert.equal(isValid(value), false, String(value));
  }
});

test("the other functions refuse anything but a string with a TypeError", () => {
  for (const fn of [validate, parse, inspect, suggest, checksum]) {
    assert.throws(() => fn(null), { name: "TypeError", message: /expects a string, got null/ });
    assert.throws(() => fn(42), { name: "TypeError", message: /got number/ });
  }
});

test("parse gives raw components, and throws ChittyIdError with the code", () => {
  assert.deepEqual(parse(ID), {
    chittyId: ID, version: 3, region: 1, jurisdiction: "USA", sequence: 1, entityType: "P",
    year: 2026, month: 2, trustLevel: 0, checksum: 85,
  });
  assert.throws(() => parse("03-1-USA-0001-P-2602-0-84"), (err) => {
    assert.ok(err instanceof ChittyIdError && err instanceof Error);
    assert.equal(err.code, "checksum_mismatch");
    assert.equal(err.segment, "checksum");
    assert.equal(err.position, 24);
    assert.equal(err.message, "checksum at position 24: expected 85, found 84");
    return true;
  });
});

test("legacy forms pass only when asked for", () => {
  assert.equal(isValid("01-C-PEO-0042-P-2510-3-23"), false);
  assert.equal(isValid("01-C-PEO-0042-P-2510-3-23", { legacy: true }), true);
  assert.equal(inspect("01-C-PEO-0042-P-2510-3-23", { legacy: true }).components.entityPrefix, "PEO");
  assert.throws(() => inspect("01-C-PEO-0042-P-2510-3-23"), { code: "legacy_not_accepted" });
});

test("a summary of text counts lines; of an array, elements", () => {
  assert.equal(summary(`${ID}\nhello\n`).inputs, 2);
  assert.equal(summary([`${ID}\nhello`]).inputs, 1);
  assert.deepEqual(summary([]), { errors: {}, formats: {}, inputs: 0, invalid: 0, valid: 0 });
  assert.throws(() => summary([ID, 7]), { name: "TypeError", message: /element 1/ });
  assert.throws(() => summary(7), TypeError);
});

test("checksum gives the two digits of the rule", () => {
  assert.equal(checksum("03-1-USA-0001-P-2602-0"), "85");
  assert.equal(checksum("03-1-usa"), null);
});
