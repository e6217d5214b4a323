// The Workers build in workerd, the runtime of Cloudflare Workers (the npm package `workerd`):
// the module is imported, never compiled from bytes at run time (Workers forbid that), and the
// Worker's reports are the command line's.
import assert from "node:assert/strict";
import { spawn } from "node:child_process";
import { copyFileSync, mkdirSync, mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { createServer } from "node:net";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { test } from "node:test";
import { fileURLToPath } from "node:url";

import { EDGE_CASES, cli, documentVectors } from "./vectors.mjs";

const root = fileURLToPath(new URL("..", import.meta.url));
const MODULES = [
  ["main.js", "test/workerd/main.js", "esModule"],
  ["js/workerd.js", "js/workerd.js", "esModule"],
  ["js/api.js", "js/api.js", "esModule"],
  ["wasm/chittyid_format.js", "wasm/chittyid_format.js", "esModule"],
  ["wasm/chittyid_format_bg.wasm", "wasm/chittyid_format_bg.wasm", "wasm"],
];

function freePort() {
  return new Promise((resolve) => {
    const server = createServer().listen(0, "127.0.0.1", () => {
      const { port } = server.address();
      server.close(() => resolve(port));
    });
  });
}

test("the Workers build validates in workerd as the command line does", async () => {
  const work = mkdtempSync(join(tmpdir(), "chittyid-format-workerd-"));
  const port = await freePort();
  let worker;
  try {
    for (const [name, from] of MODULES) {
      mkdirSync(join(work, name, ".."), { recursive: true });
      copyFileSync(join(root, from), join(work, name));
    }
    const modules = MODULES.map(([name, , kind]) => `(name = "${name}", ${kind} = embed "${name}")`).join(",\n      ");
    writeFileSync(join(work, "config.capnp"), `using Workerd = import "/workerd/workerd.capnp";
const config :Workerd.Config = (
  services = [(name = "main", worker = .worker)],
  sockets = [(name = "http", address = "127.0.0.1:${port}", http = (), service = "main")],
);
const worker :Workerd.Worker = (
  modules = [
      ${modules}
  ],
  compatibilityDate = "2025-09-01",
);
`);
    const binary = join(root, "node_modules", ".bin", "workerd");
    worker = spawn(binary, ["serve", join(work, "config.capnp")], { stdio: ["ignore", "inherit", "pipe"] });
    let stderr = "";
    worker.stderr.on("data", (chunk) => (stderr += chunk));
    worker.on("error", (err) => (stderr += `workerd could not be run (${err.message}): npm ci in bindings/js installs it`));

    const inputs = [...documentVectors(), ...EDGE_CASES];
    const cases = [false, true].flatMap((legacy) => inputs.map((input) => [input, legacy]));
    let answer;
    for (let attempt = 0; attempt < 100 && !answer; attempt++) {
      try {
        answer = await fetch(`http://127.0.0.1:${port}/`, { method: "POST", body: JSON.stringify(cases) });
      } catch {
        if (worker.exitCode !== null) break;
        await new Promise((resolve) => setTimeout(resolve, 100));
      }
    }
    assert.ok(answer, `workerd did not answer on 127.0.0.1:${port}: ${stderr}`);
    const body = await answer.text();
    assert.equal(answer.status, 200, `${body}\n${stderr}`);
    const result = JSON.parse(body);
    assert.equal(result.nodeApis, false);
    const text = inputs.join("\n") + "\n";
    // The long edge cases are whole inputs here and cut lines on the command line's standard
    // input, so arguments are compared one by one.
    for (const legacy of [false, true]) {
      const shown = result.lines.slice(legacy ? inputs.length : 0, (legacy ? 2 : 1) * inputs.length);
      const lines = cli(["validate", "--json", ...(legacy ? ["--legacy"] : [])], text).split("\n");
      inputs.forEach((input, i) => {
        if (Buffer.byteLength(input) <= 129) assert.equal(shown[i], lines[i], JSON.stringify(input));
      });
    }
  } finally {
    worker?.kill("SIGKILL");
    rmSync(work, { recursive: true, force: true });
  }
});
