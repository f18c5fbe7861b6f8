// Timing: a side is "an operation a worker repeats"; a chunk runs it from N workers for a fixed
// time and counts completions. interleave() warms both sides, then alternates bare and governed
// chunks, rotating which goes first each round, so drift (load, data growth, GC) hits both alike.
export type Op = (worker: number) => Promise<void>;

export interface Timing {
  /** How many workers keep one operation each in flight. */
  concurrency: number;
  rounds: number;
  /** Chunks per side per round. */
  chunks: number;
  chunkMs: number;
  warmMs: number;
}

export interface Interleaved {
  /** Operations per second of each side, one figure per round. */
  bare: number[];
  governed: number[];
  /** governed ÷ bare per round. */
  ratios: number[];
}

/** Runs `op` from `concurrency` workers until `ms` have passed; returns completed ops per second. */
export async function chunk(op: Op, concurrency: number, ms: number): Promise<number> {
  let done = 0;
  const start = performance.now();
  const deadline = start + ms;
  const worker = async (w: number) => {
    while (performance.now() < deadline) {
      await op(w);
      done++;
    }
  };
  await Promise.all(Array.from({ length: concurrency }, (_, w) => worker(w)));
  // Operations in flight at the deadline finish and count: the clock stops when the last one does.
  return (done / (performance.now() - start)) * 1000;
}

export async function interleave(bare: Op, governed: Op, t: Timing): Promise<Interleaved> {
  await chunk(bare, t.concurrency, t.warmMs);
  await chunk(governed, t.concurrency, t.warmMs);
  const out: Interleaved = { bare: [], governed: [], ratios: [] };
  for (let r = 0; r < t.rounds; r++) {
    let b = 0;
    let g = 0;
    for (let c = 0; c < t.chunks; c++) {
      // Round r, chunk c: bare first when r + c is even, so first place alternates and rotates.
      const bareFirst = (r + c) % 2 === 0;
      const first = await chunk(bareFirst ? bare : governed, t.concurrency, t.chunkMs);
      const second = await chunk(bareFirst ? governed : bare, t.concurrency, t.chunkMs);
      b += bareFirst ? first : second;
      g += bareFirst ? second : first;
    }
    out.bare.push(b / t.chunks);
    out.governed.push(g / t.chunks);
    out.ratios.push(g / b);
  }
  return out;
}

export const median = (xs: readonly number[]): number => {
  const s = [...xs].sort((a, b) => a - b);
  const mid = s.length >> 1;
  return s.length % 2 ? s[mid]! : (s[mid - 1]! + s[mid]!) / 2;
};

export const spread = (xs: readonly number[]) => ({
  min: Math.min(...xs),
  median: median(xs),
  max: Math.max(...xs),
});
