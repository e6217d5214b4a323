// Types of the chittyid-format package. The report shapes are those of `chittyid validate --json`
// and `chittyid inspect --json`; docs/format.md in the chittyid repository names every format
// and error code.

export interface Options {
  /** Also accept the legacy forms: the year-month form (3-digit YYM) and the authority's 2025 form. */
  legacy?: boolean;
}

export type FormatCode =
  | "canonical"
  | "legacy_year_month"
  | "v2_2_0_client_pattern"
  | "draft_numeric"
  | "prefix_typed"
  | "chitty_dash"
  | "chitty_underscore"
  | "authority_2025"
  | "status_placeholder"
  | "reserved_pattern"
  | "unknown";

export type SegmentCode =
  | "version"
  | "region"
  | "jurisdiction"
  | "sequence"
  | "entity_type"
  | "year_month"
  | "trust_level"
  | "checksum";

export interface ReportError {
  /** Machine-readable, stable across releases (`checksum_mismatch`, `invalid_character`, …). */
  code: string;
  segment: SegmentCode | null;
  /** The 1-based character position of the fault (Unicode scalar values, as an editor counts
   * columns), when there is one place to point at. */
  position: number | null;
  message: string;
}

export interface NamedDigit {
  value: number;
  name: string;
}

export interface Components {
  version: { value: number; status: string };
  region: NamedDigit;
  jurisdiction: string;
  sequence: number;
  entityType: { letter: "P" | "L" | "T" | "E" | "A"; name: string };
  /** `month` for canonical IDs; `possibleMonths` for the legacy year-month form. */
  yearMonth: { year: number; month?: number; possibleMonths?: number[] };
  trustLevel: NamedDigit;
  checksum: number;
}

export interface Placeholder {
  kind: string;
  code: string;
  status: number;
  variant: number;
}

/** The report `chittyid validate --json` prints for one input. */
export interface Report {
  input: string;
  valid: boolean;
  format: FormatCode;
  error: ReportError | null;
  /** The valid ID one typo away, if there is exactly one. */
  suggestion: string | null;
  /** The named components of a valid canonical or legacy ID. */
  components: Components | null;
  /** Only for status placeholders. */
  placeholder?: Placeholder;
}

/** What `chittyid inspect --json` prints. */
export interface Inspection {
  chittyId: string;
  format: FormatCode;
  /** `did:chitty:<ID>`, for canonical IDs. */
  did?: string;
  components:
    | Components
    | {
        version: number;
        regionLetter: string;
        entityPrefix: string;
        sequence: number;
        entityLetter: string;
        yearMonth: { year: number; month: number };
        trustDigit: number;
        checksum: number;
      };
}

/** The raw components of a canonical ID. */
export interface ParsedId {
  chittyId: string;
  version: number;
  region: number;
  jurisdiction: string;
  sequence: number;
  entityType: "P" | "L" | "T" | "E" | "A";
  year: number;
  month: number;
  trustLevel: number;
  checksum: number;
}

/** What `chittyid validate --summary --json` prints inside `{"summary": …}`. */
export interface Summary {
  inputs: number;
  valid: number;
  invalid: number;
  /** Counts by format code, only the formats seen. */
  formats: Partial<Record<FormatCode, number>>;
  /** Counts by error code, only the errors seen. */
  errors: Record<string, number>;
}

/** Thrown by `parse` and `inspect` for an input that is not a valid ID. */
export class ChittyIdError extends Error {
  /** Built by the package from an invalid input's report. */
  constructor(report: Report);
  readonly name: "ChittyIdError";
  readonly code: string;
  readonly segment: SegmentCode | null;
  readonly position: number | null;
  readonly format: FormatCode;
  readonly suggestion: string | null;
  readonly input: string;
}

/** The report for one input. Throws TypeError for anything but a string. */
export function validate(input: string, options?: Options): Report;
/** One report per line of an export (split at `\n`, a trailing `\r` dropped). */
export function validateLines(text: string, options?: Options): Report[];
/** Whether `input` is a valid ID; false for anything that is not a string. */
export function isValid(input: unknown, options?: Options): boolean;
/** The valid ID one typo away from `input`, or null. */
export function suggest(input: string, options?: Options): string | null;
/** The named components of a valid ID; throws ChittyIdError otherwise. */
export function inspect(input: string, options?: Options): Inspection;
/** The raw components of a canonical ID; throws ChittyIdError otherwise. */
export function parse(input: string): ParsedId;
/** Counts over an export as text (one input per line) or an array of inputs. */
export function summary(lines: string | readonly string[], options?: Options): Summary;
/** The two check digits of the first seven segments (`03-1-USA-0001-P-2602-0`), or null. */
export function checksum(body: string): string | null;
