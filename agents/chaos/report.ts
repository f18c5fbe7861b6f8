// The chaos table: one row per scenario, one column per invariant (ok / FAIL / n/a), then each
// scenario's details; or the same as JSON for machines.
import type { Cell } from "./cell.js";
import { INVARIANTS } from "./invariants.js";

export interface ScenarioResult {
  name: string;
  summary: string;
  seconds: number;
  /** Set when the scenario could not run here (e.g. no redis-server). */
  skipped?: string;
  /** Set when the scenario itself broke before its evidence was complete. */
  error?: string;
  cells: Record<string, Cell>;
  notes: string[];
}

export interface ChaosReport {
  seed: number;
  quick: boolean;
  ok: boolean;
  results: ScenarioResult[];
}

export function renderTable(report: ChaosReport): string {
  const ids = INVARIANTS.map((i) => i.id);
  const head = ["scenario", ...ids, "time"];
  const rows = report.results.map((r) => [
    r.name,
    ...ids.map((id) => (r.skipped ? "skip" : (r.cells[id]?.status ?? "-"))),
    `${r.seconds.toFixed(1)} s`,
  ]);
  const widths = head.map((h, i) =>
    Math.max(h.length, ...rows.map((row) => (row[i] ?? "").length)),
  );
  const line = (cols: string[]) =>
    cols
      .map((c, i) => c.padEnd(widths[i] ?? 0))
      .join("  ")
      .trimEnd();
  const out = [line(head), line(widths.map((w) => "-".repeat(w))), ...rows.map(line), ""];
  for (const r of report.results) {
    out.push(`${r.name}: ${r.summary}`);
    if (r.skipped) out.push(`  SKIPPED: ${r.skipped}`);
    if (r.error) out.push(`  ERROR: ${r.error}`);
    for (const inv of INVARIANTS) {
      const c = r.cells[inv.id];
      if (c) out.push(`  ${inv.id.padEnd(10)}  ${c.status.padEnd(4)}  ${c.detail}`);
    }
    for (const n of r.notes) out.push(`  note: ${n}`);
  }
  out.push("");
  const skipped = report.results.filter((r) => r.skipped).map((r) => r.name);
  const verdict = !report.ok
    ? "FAILED"
    : skipped.length
      ? `every invariant holds in the scenarios that ran; SKIPPED, not checked: ${skipped.join(", ")}`
      : "every invariant holds";
  out.push(
    `seed ${report.seed}${report.quick ? ", quick" : ""}: ${verdict} (replay with --seed ${report.seed})`,
  );
  out.push(`invariants: ${INVARIANTS.map((i) => `${i.id} = ${i.title}`).join("; ")}`);
  return out.join("\n");
}
