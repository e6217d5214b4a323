// Validations per second of the chittyid-format npm package over a mixed export, against the
// v2.2.0 client's regular expression in the same process. Usage: node bindings.mjs EXPORT
// (it lives in the package, so that the package resolves itself by name).
import { readFileSync } from "node:fs";
import { isValid, summary, validate, validateLines } from "chittyid-format";
import { validateChittyIDFormat } from "chittyid-format/compat";

const text = readFileSync(process.argv[2], "utf8");
const lines = text.split("\n").slice(0, -1);
// The v2.2.0 client's check (@chittyos/chittyid-client 1.0.0, validateFormat).
const V2_2_0 = /^[A-Z]{2}-[A-Z]-[A-Z]{3}-[0-9]{4}-[A-Z]-[0-9]{2}-[A-Z]-[0-9A-Z]$/;

function time(label, run) {
  run(); // warm up the JIT and the module
  const rounds = [];
  for (let round = 0; round < 3; round++) {
    const start = process.hrtime.bigint();
    const answer = run();
    const seconds = Number(process.hrtime.bigint() - start) / 1e9;
    rounds.push(seconds);
    if (round === 2) {
      const best = Math.min(...rounds);
      console.log(`| JavaScript | ${label} | ${best.toFixed(3)} s | ${Math.round(lines.length / best).toLocaleString("en")} /s | ${answer} |`);
    }
  }
}

time("`isValid(line)` per line", () => lines.filter((l) => isValid(l)).length);
time("`validateChittyIDFormat(line)` (compat) per line", () => lines.filter((l) => validateChittyIDFormat(l)).length);
time("the v2.2.0 regex per line", () => lines.filter((l) => V2_2_0.test(l)).length);
time("`summary(text)`, one call", () => summary(text).valid);
time("`validateLines(text)`, one call", () => validateLines(text).filter((r) => r.valid).length);
time("`validate(line)` per line", () => lines.filter((l) => validate(l).valid).length);
