// The short chaos run CI makes: `agov chaos --quick` with a fixed seed, through the real binary,
// every scenario keeping every invariant. The scenarios are split over a few test files so that
// vitest runs them side by side: most of a scenario's time is spent waiting on the faults it makes.
import { beforeAll, expect, it } from "vitest";
import type { ChaosReport } from "../../agents/chaos/index.js";
import { agov } from "../support/agov.js";

export const SEED = "13";

export interface ChaosRun {
  report: ChaosReport;
  code: number;
  stderr: string;
}

/** Runs the scenarios once for the file (before its tests); the tests read what it returns. */
export function chaosRun(names: readonly string[]): () => ChaosRun {
  let run: ChaosRun | undefined;
  beforeAll(async () => {
    const r = await agov(
      ["chaos", "--quick", "--seed", SEED, "--json", ...names.flatMap((n) => ["--scenario", n])],
      {},
    );
    run = { code: r.code, stderr: r.stderr, report: JSON.parse(r.stdout) as ChaosReport };
  }, 200_000);
  return () => {
    if (!run) throw new Error("the chaos run did not finish");
    return run;
  };
}

/** Every cell of the scenario's row that is not ok or n/a, as "invariant: detail". */
export function broken(run: ChaosRun, name: string, only?: string[]): string[] {
  const r = run.report.results.find((x) => x.name === name);
  if (!r) return [`${name} did not run`];
  if (r.skipped) return [`skipped: ${r.skipped}`];
  if (r.error) return [`error: ${r.error}`];
  return Object.entries(r.cells)
    .filter(([id, c]) => c.status === "FAIL" && (!only || only.includes(id)))
    .map(([id, c]) => `${id}: ${c.detail}`);
}

/** Each scenario keeps every invariant, and the command's exit code says whether all did. */
export function everyInvariant(run: () => ChaosRun, names: readonly string[]): void {
  it.each(names)("keeps every invariant under %s", (name) => {
    expect(broken(run(), name), run().stderr.slice(-2000)).toEqual([]);
  });
  exitsAsReported(run);
}

export function exitsAsReported(run: () => ChaosRun): void {
  it("exits 0 only when every invariant holds", () => {
    const { report, code } = run();
    expect(code).toBe(report.ok ? 0 : 1);
    const anyFail = report.results.some(
      (r) => r.error || Object.values(r.cells).some((c) => c.status === "FAIL"),
    );
    expect(report.ok).toBe(!anyFail);
    expect(report.seed).toBe(Number(SEED));
  });
}
