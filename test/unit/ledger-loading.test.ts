// The embedded default never loads the PostgreSQL client: pg is reached only through the dynamic
// import in src/runtime.ts that `ledger: postgres` takes.
import { readFileSync } from "node:fs";
import { dirname, join, normalize } from "node:path";
import { describe, expect, it } from "vitest";

const root = join(import.meta.dirname, "..", "..");

/** Every module `file` loads statically (not `import type`, not `import()`), followed. */
function loads(file: string, seen = new Set<string>()): Set<string> {
  if (seen.has(file)) return seen;
  seen.add(file);
  if (!file.startsWith("src/")) return seen;
  const text = readFileSync(join(root, file), "utf8");
  for (const m of text.matchAll(/^(?:import|export) (?!type )[^;]*?from "([^"]+)"/gm)) {
    const spec = m[1]!;
    loads(
      spec.startsWith(".") ? normalize(join(dirname(file), spec)).replace(/\.js$/, ".ts") : spec,
      seen,
    );
  }
  return seen;
}

describe("ledger loading", () => {
  it("keeps pg out of the runtime's static imports", () => {
    const loaded = loads("src/runtime.ts");
    expect(loaded.has("src/ledger/sqlite.ts")).toBe(true);
    expect(loaded.has("pg")).toBe(false);
    expect([...loaded].filter((f) => f.includes("postgres"))).toEqual([]);
  });

  it("would notice pg if the adapter were imported statically", () => {
    expect(loads("src/ledger/postgres.ts").has("pg")).toBe(true);
  });
});
