// A circuit breaker around the model endpoint, shared by every agent using one model: after a few
// outage failures in a row (5xx, timeouts, rate limits, no connection) it opens, and every caller
// waits out its cool-down instead of hammering an endpoint that is down; one call then probes it.

export interface ModelBreakerOptions {
  /** Outage failures in a row that open it (default 5: one request's own retries do not). */
  threshold?: number;
  /** First cool-down (default 2 s); doubles per failed probe up to maxCoolDownMs (default 30 s). */
  coolDownMs?: number;
  maxCoolDownMs?: number;
  now: () => number;
}

export interface ModelBreaker {
  /** How long to wait before the next request may go out (0: now). */
  waitMs(): number;
  success(): void;
  failure(): void;
  state(): "closed" | "open";
}

export function createModelBreaker(opts: ModelBreakerOptions): ModelBreaker {
  const threshold = Math.max(1, opts.threshold ?? 5);
  const base = opts.coolDownMs ?? 2000;
  const max = Math.max(base, opts.maxCoolDownMs ?? 30_000);
  let failures = 0;
  let opened = 0;
  let retryAt = 0;
  return {
    waitMs: () => (failures >= threshold ? Math.max(0, retryAt - opts.now()) : 0),
    success() {
      failures = 0;
      opened = 0;
    },
    failure() {
      failures++;
      if (failures >= threshold) {
        retryAt = opts.now() + Math.min(max, base * 2 ** opened);
        opened++;
      }
    },
    state: () => (failures >= threshold ? "open" : "closed"),
  };
}
