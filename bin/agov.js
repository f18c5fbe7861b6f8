#!/usr/bin/env node
// Entry point of the `agov` command: runs the bundled CLI (built by `npm ci` / `npm run build`).
import { main } from "../dist/agov.js";

main(process.argv.slice(2)).then(
  (code) => {
    process.exitCode = code;
  },
  (err) => {
    process.stderr.write(`agov: ${err instanceof Error ? err.message : String(err)}\n`);
    process.exitCode = 1;
  },
);
