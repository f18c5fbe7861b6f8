// Regenerates policies/*.hcl and docs/tools.md from tools/index.ts.
import { writeFileSync } from "node:fs";
import { join } from "node:path";
import { renderTierPolicies, renderToolsDoc } from "../src/authority/render.js";
import { TOOLS } from "../tools/index.js";

const root = join(import.meta.dirname, "..");
for (const [file, text] of renderTierPolicies(TOOLS))
  writeFileSync(join(root, "policies", file), text);
writeFileSync(join(root, "docs", "tools.md"), renderToolsDoc(TOOLS));
process.stderr.write("wrote policies/*.hcl and docs/tools.md\n");
