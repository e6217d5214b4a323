// Browsers and bundlers: the module is fetched beside this file and compiled while it streams
// (browsers refuse to compile modules of this size synchronously on the main thread).
import init from "../wasm/chittyid_format.js";

await init({ module_or_path: new URL("../wasm/chittyid_format_bg.wasm", import.meta.url) });

export * from "./api.js";
