// Locating files shipped with the package (policies, templates), from source or from dist/.
import { existsSync, readFileSync } from "node:fs";
import { dirname, join } from "node:path";
import { fileURLToPath } from "node:url";

let cached: string | undefined;

export function packageRoot(): string {
  if (cached) return cached;
  let dir = dirname(fileURLToPath(import.meta.url));
  for (;;) {
    const pkg = join(dir, "package.json");
    if (existsSync(pkg) && JSON.parse(readFileSync(pkg, "utf8")).name === "agent-governance-mcp") {
      cached = dir;
      return dir;
    }
    const up = dirname(dir);
    if (up === dir) throw new Error("cannot find the agov package root");
    dir = up;
  }
}

export const bundledPolicies = () => join(packageRoot(), "policies");

/** agov's version, as package.json states it: the one place it is written. */
export function packageVersion(): string {
  return String(JSON.parse(readFileSync(join(packageRoot(), "package.json"), "utf8")).version);
}
