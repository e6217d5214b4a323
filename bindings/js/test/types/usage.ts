// Compiled by `npm run typecheck` (tsc --strict): the declared types fit the package as used.
import {
  ChittyIdError,
  type Report,
  type Summary,
  checksum,
  inspect,
  isValid,
  parse,
  suggest,
  summary,
  validate,
  validateLines,
} from "chittyid-format";
import { extractEntityType, isChittyID, validateChittyIDFormat } from "chittyid-format/compat";

const report: Report = validate("03-1-USA-0001-P-2602-0-85", { legacy: true });
const code: string | undefined = report.error?.code;
const reports: Report[] = validateLines("a\nb");
const counts: Summary = summary(["a", "b"]);
const fromText: number = summary("a\nb").inputs;
const valid: boolean = isValid(42) && isChittyID(null) && validateChittyIDFormat("x", { useCache: false });
const letter: string | null = extractEntityType("x");
const fix: string | null = suggest("x");
const digits: string | null = checksum("03-1-USA-0001-P-2602-0");
const year: number = parse("03-1-USA-0001-P-2602-0-85").year;
const format: string = inspect("03-1-USA-0001-P-2602-0-85").format;
try {
  parse("x");
} catch (err) {
  if (err instanceof ChittyIdError) {
    const position: number | null = err.position;
    void position;
  }
}
void [code, reports, counts, fromText, valid, letter, fix, digits, year, format];
