// The inputs the tests compare against the command line: every ID of the vector block and every
// example of the shapes table in docs/format.md, and inputs that exercise every error path.
import { execFileSync } from "node:child_process";
import { existsSync, readFileSync } from "node:fs";
import { fileURLToPath } from "node:url";

const repo = fileURLToPath(new URL("../../../", import.meta.url));

export function documentVectors() {
  const doc = readFileSync(`${repo}docs/format.md`, "utf8");
  const block = /```vectors\n([\s\S]*?)```/.exec(doc);
  if (!block) throw new Error("docs/format.md has no vectors block");
  const vectors = block[1].split("\n").filter(Boolean);
  const shapes = [...doc.matchAll(/^\| `[a-z0-9_]+` \| `([^`]+)` \|/gm)].map((m) => m[1]);
  if (vectors.length < 5 || shapes.length < 10) {
    throw new Error(`docs/format.md: ${vectors.length} vectors, ${shapes.length} shape examples`);
  }
  return [...vectors, ...shapes];
}

export const EDGE_CASES = [
  "",
  " 03-1-USA-0001-P-2602-0-85 ",
  "03-1-USA-0001-P-2602-0-84",
  "03-1-USA-O001-P-2602-0-85",
  "03-1-usa-0001-P-2602-0-85",
  "03-1-USA-0001-P-2613-0-85",
  "03-1-USA-0001-X-2602-0-85",
  "03-1-USA-0001-P-2602-0",
  "03-1-USA-0001-P-2602-0-85-1",
  "3-1-USA-0001-P-2602-0-85",
  "03-1-USA-0001-P-251-3-79",
  "01-C-PEO-0042-P-2510-3-23",
  "01-C-PEO-0O42-P-2510-3-23",
  "00-1-ERR-5030-S-0000-0-0",
  "99-9-TST-0001-P-2602-0-85",
  "00-0-SYS-1111-H-1111-1-1",
  "did:chitty:03-1-USA-0001-P-2602-0-85",
  "03‐1‐USA‐0001‐P‐2602‐0‐85",
  "ÄÖÜ-é-漢字",
  "x".repeat(128),
  "x".repeat(129),
  "y".repeat(300),
  "é".repeat(100),
  "tab\there",
  "quote\"back\\slash",
];

/** The chittyid binary the tests compare with: CHITTYID_BIN, or the workspace's debug build. */
export function chittyidBinary() {
  const bin = process.env.CHITTYID_BIN ?? `${repo}target/debug/chittyid`;
  if (!existsSync(bin)) {
    throw new Error(
      `no chittyid binary at ${bin}: build it (cargo build -p chittyid at the repository's root) or set CHITTYID_BIN`,
    );
  }
  return bin;
}

/** Runs the command line with `args`, `stdin` on its standard input; its standard output. */
export function cli(args, stdin = "") {
  try {
    return execFileSync(chittyidBinary(), args, { input: stdin, encoding: "utf8", maxBuffer: 1 << 28 });
  } catch (err) {
    // `validate` exits 1 when any input is invalid; its output is still the answer.
    if (err.status === 1 && typeof err.stdout === "string") return err.stdout;
    throw err;
  }
}
