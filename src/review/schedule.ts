// `agov review --watch <interval>`: a review, then another each interval, until stopped. Time
// comes in through `sleep`, so the loop is tested by moving a clock, not by waiting.

export interface Schedule {
  intervalMs: number;
  signal: AbortSignal;
  /** Resolves after ms (or when the signal aborts). */
  sleep(ms: number, signal: AbortSignal): Promise<void>;
  run(): Promise<void>;
  /** Told of a run that threw; the loop goes on (a watch outlives one bad run). */
  onError?(err: unknown): void;
}

/** Runs `run` now and then every interval after the previous run ended; returns when stopped. */
export async function everyInterval(s: Schedule): Promise<number> {
  let runs = 0;
  while (!s.signal.aborted) {
    try {
      await s.run();
    } catch (err) {
      if (!s.onError) throw err;
      s.onError(err);
    }
    runs++;
    if (s.signal.aborted) break;
    await s.sleep(s.intervalMs, s.signal).catch(() => {});
  }
  return runs;
}
