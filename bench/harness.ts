// Measuring helpers shared by the benchmarks: a warm-up, then N sequential calls timed one by one.
export interface Stats {
  calls: number;
  callsPerSec: number;
  p50Ms: number;
  p99Ms: number;
}

export async function measure(
  fn: () => Promise<unknown>,
  opts: { iterations: number; warmup?: number },
): Promise<Stats> {
  for (let i = 0; i < (opts.warmup ?? Math.ceil(opts.iterations / 10)); i++) await fn();
  const lat = new Float64Array(opts.iterations);
  const start = process.hrtime.bigint();
  for (let i = 0; i < opts.iterations; i++) {
    const t = process.hrtime.bigint();
    await fn();
    lat[i] = Number(process.hrtime.bigint() - t) / 1e6;
  }
  const totalMs = Number(process.hrtime.bigint() - start) / 1e6;
  lat.sort();
  const at = (q: number) => lat[Math.min(lat.length - 1, Math.floor(q * lat.length))]!;
  return {
    calls: opts.iterations,
    callsPerSec: (opts.iterations / totalMs) * 1000,
    p50Ms: at(0.5),
    p99Ms: at(0.99),
  };
}

export interface Comparison {
  name: string;
  baseline: Stats;
  governed: Stats;
  /** governed calls/s ÷ baseline calls/s. */
  ratio: number;
  /** The floor this comparison should clear, if the issue sets one. */
  target?: number;
}

export function compare(
  name: string,
  baseline: Stats,
  governed: Stats,
  target?: number,
): Comparison {
  return {
    name,
    baseline,
    governed,
    ratio: governed.callsPerSec / baseline.callsPerSec,
    ...(target ? { target } : {}),
  };
}

export function table(rows: Comparison[]): string {
  const f = (n: number, d = 0) => n.toFixed(d);
  const lines = [
    "| case | bare calls/s | governed calls/s | bare p50/p99 ms | governed p50/p99 ms | ratio | target |",
    "|---|---:|---:|---:|---:|---:|---:|",
  ];
  for (const r of rows) {
    const verdict = r.target ? `≥ ${r.target} ${r.ratio >= r.target ? "met" : "MISSED"}` : "—";
    lines.push(
      `| ${r.name} | ${f(r.baseline.callsPerSec)} | ${f(r.governed.callsPerSec)} | ${f(r.baseline.p50Ms, 3)} / ${f(r.baseline.p99Ms, 3)} | ${f(r.governed.p50Ms, 3)} / ${f(r.governed.p99Ms, 3)} | ${f(r.ratio, 2)}× | ${verdict} |`,
    );
  }
  return lines.join("\n");
}
