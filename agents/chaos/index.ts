// agov chaos: runs named scenarios against real agov processes, a real redis-server and real
// agents while injecting faults, then checks every invariant on what they saw. Reproducible from
// the seed; the CLI (src/cli/chaos.ts) prints the table and exits 1 unless everything holds.
import { mkdtempSync, rmSync } from "node:fs";
import { join } from "node:path";
import { fail } from "./cell.js";
import { emptyEvidence } from "./history.js";
import { INVARIANTS } from "./invariants.js";
import { createKit } from "./kit.js";
import { type ChaosEnv, createProcs } from "./procs.js";
import { redisMissing } from "./redis.js";
import type { ChaosReport, ScenarioResult } from "./report.js";
import { createRng } from "./rng.js";
import type { Scenario } from "./scenario.js";
import { pipelineKill } from "./scenario-pipeline.js";
import { PROCESS_SCENARIOS } from "./scenarios-process.js";
import { REDIS_SCENARIOS } from "./scenarios-redis.js";

export type { ChaosReport } from "./report.js";
export { renderTable } from "./report.js";

export const SCENARIOS: Scenario[] = [...REDIS_SCENARIOS, ...PROCESS_SCENARIOS, pipelineKill];

export interface ChaosOptions {
  env: ChaosEnv;
  /** Where scenario directories go (each removed when its scenario ends). */
  tmp: string;
  quick: boolean;
  seed: number;
  /** Scenario names; all when empty. */
  only: string[];
  /** CI=true: a scenario that cannot run here fails instead of being skipped. */
  ci: boolean;
  progress(line: string): void;
}

export function unknownScenarios(names: string[]): string[] {
  return names.filter((n) => !SCENARIOS.some((s) => s.name === n));
}

export async function runChaos(o: ChaosOptions): Promise<ChaosReport> {
  const chosen = o.only.length ? SCENARIOS.filter((s) => o.only.includes(s.name)) : SCENARIOS;
  const results: ScenarioResult[] = [];
  o.progress(
    `chaos: seed ${o.seed}${o.quick ? ", quick" : ""}: ${chosen.map((s) => s.name).join(", ")}`,
  );
  for (const s of chosen) {
    o.progress(`chaos: ${s.name}: ${s.summary}`);
    const r = await runOne(s, o);
    o.progress(
      `chaos: ${s.name}: ${r.skipped ? "skipped" : r.error ? "error" : "done"} in ${r.seconds.toFixed(1)} s`,
    );
    results.push(r);
  }
  const ok = results.every((r) =>
    r.skipped ? !o.ci : !r.error && Object.values(r.cells).every((c) => c.status !== "FAIL"),
  );
  return { seed: o.seed, quick: o.quick, ok, results };
}

async function runOne(s: Scenario, o: ChaosOptions): Promise<ScenarioResult> {
  const started = Date.now();
  const result: ScenarioResult = {
    name: s.name,
    summary: s.summary,
    seconds: 0,
    cells: {},
    notes: [],
  };
  const missing = s.needsRedis ? redisMissing() : null;
  if (missing) {
    result.skipped = o.ci ? `${missing}; CI=true, so this is a failure` : missing;
    return result;
  }
  const dir = mkdtempSync(join(o.tmp, `agov-chaos-${s.name}-`));
  const procs = createProcs(o.env, dir);
  const ev = emptyEvidence(true);
  const kit = createKit({
    rng: createRng(o.seed).fork(s.name),
    quick: o.quick,
    dir,
    procs,
    ev,
    log: o.progress,
  });
  const limitMs = o.quick ? 120_000 : 600_000;
  let timer: NodeJS.Timeout | undefined;
  try {
    await Promise.race([
      s.run(kit),
      new Promise<never>((_, reject) => {
        timer = setTimeout(
          () => reject(new Error(`did not finish within ${limitMs / 1000} s`)),
          limitMs,
        );
      }),
    ]);
  } catch (err) {
    result.error = (err as Error).message;
  } finally {
    clearTimeout(timer);
    await procs.closeAll();
    rmSync(dir, { recursive: true, force: true });
  }
  for (const inv of INVARIANTS)
    result.cells[inv.id] = result.error
      ? fail(`scenario broke: ${result.error.slice(0, 120)}`)
      : inv.check(ev);
  result.notes = ev.notes;
  result.seconds = (Date.now() - started) / 1000;
  return result;
}
