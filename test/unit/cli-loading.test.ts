// What the CLI loads before a command runs: the table and the dispatcher, never a command's module;
// and `agov serve` never the runner or the pipeline commands (nor, through them, the openai package).
import { readFileSync } from "node:fs";
import { join } from "node:path";
import { describe, expect, it } from "vitest";

const cli = join(import.meta.dirname, "..", "..", "src", "cli");

/** The src/cli modules `file` loads at start-up: static imports (not `import type`), followed. */
function loads(file: string, seen = new Set<string>()): Set<string> {
  if (seen.has(file)) return seen;
  seen.add(file);
  const text = readFileSync(join(cli, file.replace(/\.js$/, ".ts")), "utf8");
  for (const m of text.matchAll(/^import (?!type )[^;]*?from "\.\/([^"]+)"/gm)) loads(m[1]!, seen);
  return seen;
}

describe("CLI start-up", () => {
  it("loads the table and the dispatcher, and no command until it runs", () => {
    expect([...loads("main.js")].sort()).toEqual([
      "args.js",
      "command.js",
      "commands.js",
      "main.js",
    ]);
  });

  it("keeps the runner and the pipeline commands out of agov serve", () => {
    const serve = loads("serve.js");
    for (const other of ["run.js", "pipeline.js", "pipeline-agents.js"])
      expect(serve.has(other), other).toBe(false);
  });
});
