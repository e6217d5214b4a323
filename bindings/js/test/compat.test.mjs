// The drop-in helpers keep the v2.2.0 service's signatures (ChittyOS platform,
// src/lib/chittyid-service.js) and answer by the real rule. The cases are that service's own
// jest cases, except that its "valid" examples were of a shape the authority never minted; a
// canonical ID stands in for them.
import assert from "node:assert/strict";
import { test } from "node:test";

import { extractEntityType, isChittyID, validateChittyIDFormat } from "chittyid-format/compat";

const CANONICAL = ["03-1-USA-0001-P-2602-0-85", "03-4-JPN-0420-L-2511-5-34", "03-9-DEU-0000-E-2612-4-66"];

test("canonical IDs are valid, with or without the original's options", () => {
  for (const id of CANONICAL) {
    assert.equal(validateChittyIDFormat(id), true);
    assert.equal(validateChittyIDFormat(id, { useCache: false }), true);
    assert.equal(isChittyID(id), true);
  }
});

test("what the v2.2.0 suite rejects is rejected", () => {
  for (const id of [
    "chitty_1234567890_abc123", "chitty_9876543210_def456", "chitty_timestamp_hash",
    "CHITTY-INFO-123-ABC", "CHITTY-PEO-456-DEF", "CHITTY-EVNT-789-GHI",
    "1-A-CHI-123-I-24-5-0", "01-AA-CHI-1234-I-2409-5-0", "01-A-CH-1234-I-2409-5-0",
    "01-A-CHI-123-I-2409-5-0", "01-A-CHI-1234-INFO-2409-5-0", "01-A-CHI-1234-I-24-5-0",
    "01-A-CHI-1234-I-2409-55-0", "",
    null, undefined, 12345, {}, [],
  ]) {
    assert.equal(validateChittyIDFormat(id), false, JSON.stringify(id));
    assert.equal(isChittyID(id), false, JSON.stringify(id));
  }
  assert.equal(isChittyID("random-string"), false);
});

test("the regex shape of the v2.2.0 client is not an ID, and a wrong checksum is caught", () => {
  assert.equal(validateChittyIDFormat("CT-A-CHI-1234-I-24-A-0"), false);
  assert.equal(validateChittyIDFormat("03-1-USA-0001-P-2602-0-84"), false);
});

test("extractEntityType gives the type letter of a valid ID, else null", () => {
  assert.deepEqual(CANONICAL.map(extractEntityType), ["P", "L", "E"]);
  for (const id of ["invalid", "chitty_123_abc", "CHITTY-INFO-123", "CT-A-CHI-1234-I-24-A-0", null]) {
    assert.equal(extractEntityType(id), null);
  }
});
