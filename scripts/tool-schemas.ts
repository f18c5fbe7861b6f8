// Prints the JSON Schemas of every bundled tool, by name (scripts/bundle.mjs embeds them).
import { toolSchemas } from "../src/server/describe.js";
import { TOOLS } from "../tools/index.js";

process.stdout.write(
  JSON.stringify(Object.fromEntries(TOOLS.map((t) => [t.name, toolSchemas(t)]))),
);
