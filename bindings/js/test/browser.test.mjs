// The browser build in a real browser: headless Chromium loads js/browser.js from a local HTTP
// server (the module fetched and compiled as it streams, no Node API), validates every input,
// and its reports are the command line's.
import assert from "node:assert/strict";
import { execFile } from "node:child_process";
import { readFile } from "node:fs/promises";
import { createServer } from "node:http";
import { extname, join, normalize } from "node:path";
import { test } from "node:test";
import { fileURLToPath } from "node:url";

import { EDGE_CASES, cli, documentVectors } from "./vectors.mjs";

const root = fileURLToPath(new URL("..", import.meta.url));
const TYPES = { ".html": "text/html", ".js": "text/javascript", ".wasm": "application/wasm", ".json": "application/json" };

function chromium(url) {
  return new Promise((resolve, reject) => {
    execFile(
      "chromium",
      ["--headless", "--no-sandbox", "--disable-gpu", "--virtual-time-budget=10000", "--dump-dom", url],
      { maxBuffer: 1 << 26 },
      (err, stdout, stderr) => {
        if (err && err.code === "ENOENT") {
          reject(new Error("chromium could not be run: install Debian's `chromium` package (apt-get install chromium), as scripts/test.sh does"));
        } else if (err) {
          reject(new Error(`chromium failed: ${err.message}\n${stderr}`));
        } else {
          resolve(stdout);
        }
      },
    );
  });
}

test("the browser build validates in Chromium as the command line does", async () => {
  const inputs = [...documentVectors(), ...EDGE_CASES].filter((i) => Buffer.byteLength(i) <= 129);
  const cases = [false, true].flatMap((legacy) => inputs.map((input) => [input, legacy]));
  const server = createServer(async (req, res) => {
    if (req.url === "/inputs.json") {
      res.writeHead(200, { "content-type": "application/json" }).end(JSON.stringify(cases));
      return;
    }
    const path = normalize(join(root, decodeURIComponent(new URL(req.url, "http://x").pathname)));
    if (!path.startsWith(root)) return res.writeHead(403).end();
    try {
      const body = await readFile(path);
      res.writeHead(200, { "content-type": TYPES[extname(path)] ?? "application/octet-stream" }).end(body);
    } catch {
      res.writeHead(404).end();
    }
  });
  await new Promise((resolve) => server.listen(0, "127.0.0.1", resolve));
  try {
    const dom = await chromium(`http://127.0.0.1:${server.address().port}/test/browser/index.html`);
    const shown = /<pre id="out">([\s\S]*?)<\/pre>/.exec(dom)?.[1];
    assert.ok(shown && shown !== "loading", `the page never finished:\n${dom}`);
    const decoded = shown.replaceAll("&lt;", "<").replaceAll("&gt;", ">").replaceAll("&quot;", '"').replaceAll("&amp;", "&");
    const result = JSON.parse(decoded);
    assert.equal(result.error, undefined, result.error);
    assert.equal(result.nodeApis, false);
    for (const legacy of [false, true]) {
      const expected = cli(["validate", "--json", ...(legacy ? ["--legacy"] : [])], inputs.join("\n") + "\n").split("\n").slice(0, -1);
      const shownLines = result.lines.slice(legacy ? inputs.length : 0, (legacy ? 2 : 1) * inputs.length);
      assert.deepEqual(shownLines, expected);
    }
  } finally {
    server.close();
  }
});
