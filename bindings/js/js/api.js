// The package's API over the WebAssembly module. Every entry (node.js, browser.js, workerd.js)
// loads the module its platform's way, then re-exports this file. Reports come from Rust as the
// JSON `chittyid validate --json` prints, so JSON.stringify of a report is that line, byte for
// byte.
import * as wasm from "../wasm/chittyid_format.js";

/** Thrown by `parse` and `inspect` for an input that is not a valid ID. */
export class ChittyIdError extends Error {
  constructor(report) {
    super(report.error.message);
    this.name = "ChittyIdError";
    this.code = report.error.code;
    this.segment = report.error.segment;
    this.position = report.error.position;
    this.format = report.format;
    this.suggestion = report.suggestion;
    this.input = report.input;
  }
}

function expectString(input, what) {
  if (typeof input !== "string") {
    const got = input === null ? "null" : typeof input;
    throw new TypeError(`chittyid-format: ${what} expects a string, got ${got}`);
  }
}

function legacyOf(options) {
  return Boolean(options && options.legacy);
}

/** The report `chittyid validate --json` prints for one input. */
export function validate(input, options) {
  expectString(input, "validate");
  return JSON.parse(wasm.validateJson(input, legacyOf(options)));
}

/** One report per line of `text`, as `chittyid validate --json` reads its standard input. */
export function validateLines(text, options) {
  expectString(text, "validateLines");
  return JSON.parse(wasm.validateLinesJson(text, legacyOf(options)));
}

/** Whether `input` is a valid ID; false for anything that is not a string. */
export function isValid(input, options) {
  return typeof input === "string" && wasm.isValid(input, legacyOf(options));
}

/** The valid ID one typo away from `input`, or null. */
export function suggest(input, options) {
  expectString(input, "suggest");
  return wasm.suggestion(input, legacyOf(options)) ?? null;
}

/** What `chittyid inspect --json` prints for a valid ID; throws ChittyIdError otherwise. */
export function inspect(input, options) {
  expectString(input, "inspect");
  const legacy = legacyOf(options);
  const inspection = wasm.inspectJson(input, legacy);
  if (inspection === undefined) {
    throw new ChittyIdError(JSON.parse(wasm.validateJson(input, legacy)));
  }
  return JSON.parse(inspection);
}

/** The raw components of a canonical ID; throws ChittyIdError otherwise. */
export function parse(input) {
  expectString(input, "parse");
  const parsed = wasm.parseJson(input);
  if (parsed === undefined) {
    throw new ChittyIdError(JSON.parse(wasm.validateJson(input, false)));
  }
  return JSON.parse(parsed);
}

/**
 * Counts over many inputs, as `chittyid validate --summary --json` prints them: `lines` is an
 * export as text (one input per line) or an array of inputs.
 */
export function summary(lines, options) {
  const legacy = legacyOf(options);
  if (typeof lines === "string") {
    return JSON.parse(wasm.summaryOfTextJson(lines, legacy));
  }
  if (Array.isArray(lines)) {
    lines.forEach((line, index) => expectString(line, `summary (element ${index})`));
    return JSON.parse(wasm.summaryOfListJson(lines, legacy));
  }
  throw new TypeError("chittyid-format: summary expects a string or an array of strings");
}

/** The two check digits of the first seven segments (`03-1-USA-0001-P-2602-0`), or null. */
export function checksum(body) {
  expectString(body, "checksum");
  return wasm.checksum(body) ?? null;
}
