// The layer rule of DESIGN.md, checked on the source: arrows point down, only src/server and the
// agents' MCP client import the MCP SDK, and agents never import src/.
import { readdirSync, readFileSync, statSync } from "node:fs";
import { join, relative } from "node:path";
import { describe, expect, it } from "vitest";

const root = join(import.meta.dirname, "..", "..");

function sources(dir: string): string[] {
  const abs = join(root, dir);
  let entries: string[];
  try {
    entries = readdirSync(abs);
  } catch {
    return [];
  }
  return entries.flatMap((name) => {
    const path = join(abs, name);
    if (statSync(path).isDirectory()) return sources(relative(root, path));
    return name.endsWith(".ts") ? [relative(root, path)] : [];
  });
}

function imports(file: string): string[] {
  const text = readFileSync(join(root, file), "utf8");
  return [...text.matchAll(/(?:from|import)\s*\(?\s*["']([^"']+)["']/g)].map((m) => m[1]!);
}

function offenders(files: string[], bad: (spec: string, file: string) => boolean): string[] {
  return files.flatMap((f) =>
    imports(f)
      .filter((s) => bad(s, f))
      .map((s) => `${f} → ${s}`),
  );
}

describe("layer rule", () => {
  it("keeps agents/ off src/ (MCP is their only door)", () => {
    const files = sources("agents");
    expect(offenders(files, (s) => /(^|\/)src\//.test(s) || s.startsWith("../src"))).toEqual([]);
  });

  it("imports the MCP SDK only in src/server and the agents' client", () => {
    const files = [...sources("src"), ...sources("tools")];
    const bad = offenders(
      files,
      (s, f) => s.startsWith("@modelcontextprotocol/sdk") && !f.startsWith("src/server/"),
    );
    expect(bad).toEqual([]);
  });

  it("keeps the domain and the ports free of tools/ and src/server", () => {
    const lower = ["src/governance", "src/coordination", "src/pipeline", "src/authority"]
      .concat(["src/state", "src/ledger", "src/util", "src/config", "src/health"])
      .flatMap(sources);
    expect(lower.length).toBeGreaterThan(10);
    const bad = offenders(
      lower,
      (s) => /\/tools\/|\/server\//.test(s) || s.startsWith("../../tools"),
    );
    expect(bad).toEqual([]);
  });

  it("keeps tools/ off the transports", () => {
    expect(offenders(sources("tools"), (s) => /src\/server|src\/cli/.test(s))).toEqual([]);
  });
});
