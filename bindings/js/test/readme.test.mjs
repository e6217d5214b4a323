// The README's JavaScript example runs as it is written (its assertions are the promises).
import assert from "node:assert/strict";
import { execFileSync } from "node:child_process";
import { readFileSync } from "node:fs";
import { test } from "node:test";
import { fileURLToPath } from "node:url";

const root = fileURLToPath(new URL("..", import.meta.url));

test("the README's JavaScript example runs", () => {
  const readme = readFileSync(new URL("../../../README.md", import.meta.url), "utf8");
  const section = readme.slice(readme.indexOf("## The JavaScript and Python packages"));
  const example = /```js\n([\s\S]*?)```/.exec(section)?.[1];
  assert.ok(example, "the README has no JavaScript example in its packages section");
  // Run where the package resolves itself by name, as it does once installed.
  execFileSync("node", ["--input-type=module", "-e", example], { cwd: root, stdio: "inherit" });
});
