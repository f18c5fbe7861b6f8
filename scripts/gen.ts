// Regenerates policies/*.hcl and docs/tools.md from tools/index.ts, and docs/errors.md from the
// table of error codes and reasons.
import { writeFileSync } from "node:fs";
import { join } from "node:path";
import { renderTierPolicies, renderToolsDoc } from "../src/authority/render.js";
import { renderErrorsDoc } from "../src/util/errors-doc.js";
import { TOOLS } from "../tools/index.js";

const root = join(import.meta.dirname, "..");
for (const [file, text] of renderTierPolicies(TOOLS))
  writeFileSync(join(root, "policies", file), text);
writeFileSync(join(root, "docs", "tools.md"), renderToolsDoc(TOOLS));
writeFileSync(join(root, "docs", "errors.md"), renderErrorsDoc());
process.stderr.write("wrote policies/*.hcl, docs/tools.md and docs/errors.md\n");
