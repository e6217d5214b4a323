// `npm pack` makes a tarball that installs into a project of its own with no network, and a
// program there validates a mixed export and gets the command line's answers.
import assert from "node:assert/strict";
import { execFileSync } from "node:child_process";
import { mkdtempSync, readdirSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { test } from "node:test";
import { fileURLToPath } from "node:url";

import { EDGE_CASES, cli, documentVectors } from "./vectors.mjs";

const root = fileURLToPath(new URL("..", import.meta.url));

const PROGRAM = `
import { readFileSync } from "node:fs";
import { summary, validateLines } from "chittyid-format";
import { isChittyID } from "chittyid-format/compat";
const text = readFileSync(process.argv[2], "utf8");
for (const report of validateLines(text)) console.log(JSON.stringify(report));
console.log(JSON.stringify({ summary: summary(text) }));
console.log(isChittyID("03-1-USA-0001-P-2602-0-85"));
`;

test("the packed tarball installs offline and answers as the command line does", () => {
  const work = mkdtempSync(join(tmpdir(), "chittyid-format-pack-"));
  try {
    const npm = (args, cwd) => execFileSync("npm", args, { cwd, encoding: "utf8", stdio: ["ignore", "pipe", "pipe"] });
    npm(["pack", "--pack-destination", work], root);
    const tarball = readdirSync(work).find((f) => f.endsWith(".tgz"));
    assert.ok(tarball, "npm pack wrote no tarball");
    const files = JSON.parse(npm(["pack", "--dry-run", "--json"], root))[0].files.map((f) => f.path).sort();
    assert.ok(files.includes("wasm/chittyid_format_bg.wasm") && files.includes("js/compat.js"), files.join(", "));
    assert.ok(!files.some((f) => f.startsWith("test/") || f.startsWith("src/")), files.join(", "));

    const project = join(work, "project");
    execFileSync("mkdir", [project]);
    writeFileSync(join(project, "package.json"), JSON.stringify({ name: "uses-chittyid", private: true, type: "module" }));
    npm(["install", "--offline", "--no-audit", "--no-fund", join(work, tarball)], project);
    writeFileSync(join(project, "main.mjs"), PROGRAM);
    const exported = join(work, "export.txt");
    const text = [...documentVectors(), ...EDGE_CASES].join("\n") + "\n";
    writeFileSync(exported, text);

    const printed = execFileSync("node", ["main.mjs", exported], { cwd: project, encoding: "utf8" });
    const expected =
      cli(["validate", "--json"], text) + cli(["validate", "--json", "--summary", "--quiet"], text) + "true\n";
    assert.equal(printed, expected);
  } finally {
    rmSync(work, { recursive: true, force: true });
  }
});
