// Runs @modelcontextprotocol/conformance on Node 20: `node --import <this file> …/dist/index.js`.
// The suite imports `globSync` from "fs", which Node added in 22; on an older Node its "fs" is
// resolved to fs.mjs beside this file (node:fs plus a small globSync). Newer Nodes are untouched.
import * as fs from "node:fs";
import { register } from "node:module";

if (typeof fs.globSync !== "function") register("./hooks.mjs", import.meta.url);
