// The layer rule, generated from its one description (layers.json): every import of every source
// file must point at its own layer or one the file says it may import. A folder the description
// does not name fails too, so a new layer is placed deliberately rather than by accident.
import { readdirSync, readFileSync, statSync } from "node:fs";
import { dirname, join, normalize, relative } from "node:path";
import { describe, expect, it } from "vitest";

const root = join(import.meta.dirname, "..", "..");
const MCP = "@mcp";
const { layers } = JSON.parse(readFileSync(join(root, "layers.json"), "utf8")) as {
  layers: Record<string, string[]>;
};
const names = Object.keys(layers).sort((a, b) => b.length - a.length);

function sources(dir: string): string[] {
  const abs = join(root, dir);
  return readdirSync(abs).flatMap((name) => {
    const path = join(abs, name);
    if (statSync(path).isDirectory()) return sources(relative(root, path));
    return name.endsWith(".ts") ? [relative(root, path)] : [];
  });
}

/** The layer a repository path belongs to: the longest description name that contains it. */
function layerOf(path: string): string | undefined {
  return names.find((n) => path === n || path.startsWith(`${n}/`));
}

/** Every import of a file, as a repository path (relative ones) or a package name. */
function imports(file: string): string[] {
  const text = readFileSync(join(root, file), "utf8");
  return [...text.matchAll(/(?:from|import)\s*\(?\s*["']([^"']+)["']/g)].map((m) => {
    const spec = m[1]!;
    if (!spec.startsWith(".")) return spec;
    return normalize(join(dirname(file), spec)).replace(/\.js$/, ".ts");
  });
}

/** The layer an import lands in; undefined for packages other than the MCP SDK (always allowed). */
function target(spec: string): string | undefined {
  if (spec.startsWith("@modelcontextprotocol/sdk")) return MCP;
  if (!spec.includes("/") || spec.startsWith("node:") || spec.startsWith("@")) return undefined;
  return layerOf(spec) ?? `(undescribed: ${spec})`;
}

const files = ["src", "tools", "agents", "protocol"].flatMap(sources);

describe("layer rule (layers.json)", () => {
  it("describes every source folder", () => {
    expect(files.length).toBeGreaterThan(100);
    expect(files.filter((f) => !layerOf(f))).toEqual([]);
  });

  for (const [layer, allowed] of Object.entries(layers)) {
    it(`lets ${layer} import only ${allowed.length ? allowed.join(", ") : "itself"}`, () => {
      const own = files.filter((f) => layerOf(f) === layer);
      expect(own.length).toBeGreaterThan(0);
      const bad = own.flatMap((f) =>
        imports(f).flatMap((spec) => {
          const to = target(spec);
          return to === undefined || to === layer || allowed.includes(to)
            ? []
            : [`${f} → ${spec} (${to})`];
        }),
      );
      expect(bad).toEqual([]);
    });
  }
});
