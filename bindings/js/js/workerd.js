// Cloudflare Workers: a Worker may not compile WebAssembly from bytes at run time, so the module
// is imported, which Wrangler and workerd compile at upload.
import wasmModule from "../wasm/chittyid_format_bg.wasm";
import { initSync } from "../wasm/chittyid_format.js";

initSync({ module: wasmModule });

export * from "./api.js";
