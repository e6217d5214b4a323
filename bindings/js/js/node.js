// Node.js: the module is read from the package's own directory, synchronously, so the package
// is ready when the import resolves.
import { readFileSync } from "node:fs";
import { initSync } from "../wasm/chittyid_format.js";

initSync({ module: readFileSync(new URL("../wasm/chittyid_format_bg.wasm", import.meta.url)) });

export * from "./api.js";
