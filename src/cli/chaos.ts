// agov chaos: runs the fault-injection scenarios of agents/chaos against this agov (its own
// binary, a redis-server it starts, agents it launches) and prints the scenario × invariant table.
import { randomInt } from "node:crypto";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { renderTable, runChaos, unknownScenarios } from "../../agents/chaos/index.js";
import { cleanBase } from "../../agents/chaos/procs.js";
import { packageRoot } from "../util/paths.js";
import { intOption, type Parsed, UsageError } from "./args.js";
import type { CHAOS } from "./commands.js";
import { SCENARIO_NAMES } from "./commands.js";
import type { CliContext } from "./context.js";

export async function chaos({ values }: Parsed<typeof CHAOS>, ctx: CliContext): Promise<number> {
  const seed = intOption(values.seed, "seed", "chaos", 0, 2_147_483_647) ?? randomInt(1, 1_000_000);
  const only = values.scenario ?? [];
  const wrong = unknownScenarios(only);
  if (wrong.length)
    throw new UsageError(
      `chaos: unknown scenario "${wrong[0]}"; the scenarios are ${SCENARIO_NAMES}`,
    );
  // The children get this process's environment (PATH, HOME, TMPDIR) minus agov's own settings:
  // each scenario configures its servers itself, on a temporary AGOV_HOME.
  const base = cleanBase(process.env);
  const report = await runChaos({
    env: { node: process.execPath, bin: join(packageRoot(), "bin", "agov.js"), baseEnv: base },
    tmp: tmpdir(),
    quick: values.quick === true,
    seed,
    only,
    ci: base.CI === "true",
    progress: ctx.err,
  });
  ctx.out(values.json ? JSON.stringify(report, null, 2) : renderTable(report));
  return report.ok ? 0 : 1;
}
