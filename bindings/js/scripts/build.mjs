// `npm run build`: compiles bindings/js (the domain crate behind wasm-bindgen) for
// wasm32-unknown-unknown and writes the module and its JavaScript glue into wasm/.
//
// Needs the Rust target (`rustup target add wasm32-unknown-unknown`) and the wasm-bindgen
// command line of the very version Cargo.lock pins (`cargo install wasm-bindgen-cli --version
// =<that version>`); scripts/bindings.sh at the repository's root installs both.
import { execFileSync } from "node:child_process";
import { existsSync, mkdirSync, readFileSync, rmSync, statSync } from "node:fs";
import { dirname, join } from "node:path";
import { fileURLToPath } from "node:url";

const root = dirname(dirname(fileURLToPath(import.meta.url)));
const targetDir = process.env.CARGO_TARGET_DIR ?? join(root, "..", "..", "target", "bindings");

function run(command, args) {
  try {
    execFileSync(command, args, { cwd: root, stdio: "inherit" });
  } catch (err) {
    if (err.code === "ENOENT") {
      throw new Error(`${command} is not installed: run scripts/bindings.sh at the repository's root, or see the comment at the top of scripts/build.mjs`);
    }
    throw err;
  }
}

const lock = readFileSync(join(root, "Cargo.lock"), "utf8");
const pinned = /name = "wasm-bindgen"\nversion = "([^"]+)"/.exec(lock)?.[1];
if (!pinned) throw new Error("Cargo.lock pins no wasm-bindgen");
let installed;
try {
  installed = execFileSync("wasm-bindgen", ["--version"], { encoding: "utf8" }).trim().split(" ")[1];
} catch {
  throw new Error(`wasm-bindgen is not installed: cargo install wasm-bindgen-cli --version =${pinned}`);
}
if (installed !== pinned) {
  throw new Error(`wasm-bindgen ${installed} is installed, Cargo.lock pins ${pinned}: cargo install wasm-bindgen-cli --version =${pinned}`);
}

run("cargo", ["build", "--release", "--locked", "--target", "wasm32-unknown-unknown", "--target-dir", targetDir]);
const module = join(targetDir, "wasm32-unknown-unknown", "release", "chittyid_format_wasm.wasm");
const out = join(root, "wasm");
rmSync(out, { recursive: true, force: true });
mkdirSync(out);
run("wasm-bindgen", ["--target", "web", "--remove-name-section", "--remove-producers-section", "--out-dir", out, "--out-name", "chittyid_format", module]);
for (const file of ["chittyid_format.js", "chittyid_format_bg.wasm"]) {
  if (!existsSync(join(out, file))) throw new Error(`wasm-bindgen wrote no ${file}`);
}
console.log(`chittyid-format: wasm/chittyid_format_bg.wasm, ${statSync(join(out, "chittyid_format_bg.wasm")).size} bytes`);
