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

/** Inputs that take every error path: typos, padding, other dashes, non-ASCII, long lines, the
 * legacy and 2025 forms, placeholders. Shared with the Python package's tests. */
export const EDGE_CASES = JSON.parse(readFileSync(`${repo}bindings/edge-cases.json`, "utf8"));

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
