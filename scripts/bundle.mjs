// Builds the `agov` command into dist/: one ES module (dist/agov.js) and the chunks of what it
// loads lazily (the HTTP stack, Vault, Redis, PostgreSQL, the runner), so that starting agov reads
// a handful of files instead of resolving some five hundred modules one by one (cold start and
// every process the e2e tests spawn). Type checking is `npm run check`'s job; this only bundles.
// better-sqlite3 is a native addon and stays in node_modules, as does what is required at run time
// by name (yaml, loaded on first use), and OpenTelemetry, loaded only when telemetry is configured
// and then from its own packages, as Node resolves them. The tools' JSON Schemas are converted here, once, and
// embedded (src/server/describe.ts), instead of at every start.
import { execFileSync } from "node:child_process";
import { rmSync } from "node:fs";
import { dirname, join } from "node:path";
import { fileURLToPath } from "node:url";
import { build } from "esbuild";

const root = join(dirname(fileURLToPath(import.meta.url)), "..");
const outdir = join(root, "dist");

const common = {
  absWorkingDir: root,
  bundle: true,
  format: "esm",
  platform: "node",
  target: "node20",
  external: ["better-sqlite3", "pg-native", "@opentelemetry/*"],
  logLevel: "warning",
};

rmSync(outdir, { recursive: true, force: true });
const schemasScript = join(outdir, "tool-schemas.mjs");
await build({ ...common, entryPoints: ["scripts/tool-schemas.ts"], outfile: schemasScript });
const schemas = execFileSync(process.execPath, [schemasScript], { cwd: root, encoding: "utf8" });
rmSync(schemasScript);
JSON.parse(schemas); // a broken conversion fails the build here, not at the first tools/list

await build({
  ...common,
  define: { __AGOV_TOOL_SCHEMAS__: schemas },
  entryPoints: { agov: "src/cli/main.ts" },
  outdir,
  chunkNames: "chunks/[name]-[hash]",
  splitting: true,
  // CommonJS packages inside an ES module bundle still call require() and read __dirname.
  banner: {
    js: [
      'import { createRequire as __agovRequire } from "node:module";',
      'import { dirname as __agovDirname } from "node:path";',
      'import { fileURLToPath as __agovPath } from "node:url";',
      "const require = __agovRequire(import.meta.url);",
      "const __filename = __agovPath(import.meta.url);",
      "const __dirname = __agovDirname(__filename);",
    ].join(" "),
  },
});
