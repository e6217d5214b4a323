// The READMEs' JavaScript examples (the repository's and the package's) run as they are
// written: their assertions are the promises.
import assert from "node:assert/strict";
import { execFileSync } from "node:child_process";
import { readFileSync } from "node:fs";
import { test } from "node:test";
import { fileURLToPath } from "node:url";

const root = fileURLToPath(new URL("..", import.meta.url));

function example(readme, after) {
  const text = readFileSync(new URL(readme, import.meta.url), "utf8");
  const block = /```js\n([\s\S]*?)```/.exec(text.slice(text.indexOf(after)))?.[1];
  assert.ok(block, `${readme} has no JavaScript example after ${JSON.stringify(after)}`);
  return block;
}

for (const [readme, after] of [
  ["../../../README.md", "## The JavaScript and Python packages"],
  ["../README.md", "# chittyid-format"],
]) {
  test(`the JavaScript example of ${readme.replaceAll("../", "")} runs`, () => {
    // Run where the package resolves itself by name, as it does once installed.
    execFileSync("node", ["--input-type=module", "-e", example(readme, after)], { cwd: root, stdio: "inherit" });
  });
}
