// The results: one row per case (medians of the rounds, the ratio's spread, the target where the
// issue sets one), printed as a Markdown table for docs/performance.md, or as JSON with --json.
import { type Case, LABELS } from "./cases.js";
import { type Interleaved, spread } from "./harness.js";

export interface Row extends Case {
  bareOps: number;
  governedOps: number;
  ratio: { min: number; median: number; max: number };
  met?: boolean;
  rounds: Interleaved;
}

export function row(c: Case, rounds: Interleaved): Row {
  const ratio = spread(rounds.ratios);
  return {
    ...c,
    bareOps: spread(rounds.bare).median,
    governedOps: spread(rounds.governed).median,
    ratio,
    ...(c.target === undefined ? {} : { met: ratio.median >= c.target }),
    rounds,
  };
}

const TRANSPORT = { inproc: "in-process", stdio: "stdio", http: "HTTP" } as const;
const CALLER = { free: "no packet", held: "packet, EXECUTE" } as const;

export function caseName(c: Case): string {
  return c.bare === c.governed
    ? LABELS[c.governed]
    : `${LABELS[c.governed]} vs bare ${LABELS[c.bare]}`;
}

export function table(rows: Row[]): string {
  const n = (x: number) => Math.round(x).toLocaleString("en");
  const r = (x: number) => x.toFixed(2);
  const lines = [
    "| case | transport | conc. | caller | bare ops/s | governed ops/s | ratio min / median / max | target |",
    "|---|---|---:|---|---:|---:|---:|---|",
  ];
  for (const x of rows) {
    const target = x.target === undefined ? "" : `≥ ${x.target} ${x.met ? "met" : "**MISSED**"}`;
    lines.push(
      `| ${caseName(x)} | ${TRANSPORT[x.transport]} | ${x.concurrency} | ${CALLER[x.packet]} | ${n(x.bareOps)} | ${n(x.governedOps)} | ${r(x.ratio.min)} / **${r(x.ratio.median)}** / ${r(x.ratio.max)} | ${target} |`,
    );
  }
  return lines.join("\n");
}

/** The rows with a target, met or missed, for the summary line. */
export function verdict(rows: Row[]): string {
  const judged = rows.filter((x) => x.met !== undefined);
  const missed = judged.filter((x) => !x.met);
  return `targets: ${judged.length - missed.length} of ${judged.length} met${missed.length ? ` (missed: ${missed.map((x) => `${caseName(x)} ${TRANSPORT[x.transport]} c${x.concurrency} ${CALLER[x.packet]}`).join("; ")})` : ""}`;
}
