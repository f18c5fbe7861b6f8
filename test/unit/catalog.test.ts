// The tool list is the single source: the shipped policies and the tool reference must match what
// the generator renders from it, and every tier must hold everything the tier below holds.
import { readFileSync } from "node:fs";
import { join } from "node:path";
import { describe, expect, it } from "vitest";
import { TIER_NAMES, tierPolicyName } from "../../src/authority/index.js";
import { capabilitiesFor, grantsTool, parsePolicy, toolPath } from "../../src/authority/policy.js";
import { renderTierPolicies, renderToolsDoc } from "../../src/authority/render.js";
import { renderErrorsDoc } from "../../src/util/errors-doc.js";
import { TOOLS } from "../../tools/index.js";

const root = join(import.meta.dirname, "..", "..");
const read = (...p: string[]) => readFileSync(join(root, ...p), "utf8");

describe("tool catalog", () => {
  it("ships policies/*.hcl exactly as rendered from tools/index.ts (run `npm run gen` if not)", () => {
    for (const [file, text] of renderTierPolicies(TOOLS)) expect(read("policies", file)).toBe(text);
  });

  it("ships docs/errors.md exactly as rendered from the table of codes and reasons", () => {
    expect(read("docs", "errors.md")).toBe(renderErrorsDoc());
  });

  it("ships docs/tools.md exactly as rendered from tools/index.ts", () => {
    expect(read("docs", "tools.md")).toBe(renderToolsDoc(TOOLS));
  });

  it("has unique tool names in snake_case", () => {
    const names = TOOLS.map((t) => t.name);
    expect(new Set(names).size).toBe(names.length);
    for (const n of names) expect(n).toMatch(/^[a-z][a-z0-9_]*$/);
  });

  it("grants each tool from its own tier upward and never below", () => {
    const policies = TIER_NAMES.map((_, tier) => {
      const name = tierPolicyName(tier);
      return { tier, policy: parsePolicy(name, read("policies", `${name}.hcl`)) };
    });
    for (const tool of TOOLS) {
      for (const { tier } of policies) {
        // A tier's token carries its own policy only; the policy must contain the lower tiers' paths.
        const own = policies.filter((p) => p.tier === tier).map((p) => p.policy);
        const caps = capabilitiesFor(own, toolPath(tool.name));
        const granted = grantsTool(caps);
        expect({ tool: tool.name, tier, granted }).toEqual({
          tool: tool.name,
          tier,
          granted: tier >= tool.tier,
        });
      }
    }
  });
});

describe("README", () => {
  it("lists every tool under its tier in the tiers table", () => {
    const readme = read("README.md");
    const table = readme.slice(
      readme.indexOf("## Tiers and tools"),
      readme.indexOf("Each tier holds"),
    );
    const listed = new Map<string, number>();
    for (const line of table.split("\n")) {
      const m = /^\| T(\d) \w+ \| (.*) \|$/.exec(line);
      if (!m) continue;
      // Only names before ";" are the tier's own tools (after it: notes on earlier ones).
      for (const t of m[2]!.split(";")[0]!.matchAll(/`([a-z_]+)`/g))
        listed.set(t[1]!, Number(m[1]));
    }
    expect(Object.fromEntries(listed)).toEqual(
      Object.fromEntries(TOOLS.map((t) => [t.name, t.tier])),
    );
  });
});
