// A circuit breaker around one dependency: after repeated outage failures it opens and refuses
// calls at once (UNAVAILABLE, DEPENDENCY_DOWN) until its cool-down ends; then one call goes through
// as a probe (half-open) and its outcome closes or reopens it. Pure: time is the injected clock.
import type { Clock } from "../util/clock.js";
import { AgovError } from "../util/errors.js";

export type BreakerState = "closed" | "open" | "half_open";

export interface BreakerOptions {
  /** The dependency's id, e.g. "state". */
  name: string;
  /** How messages name it, e.g. "state store (redis at 127.0.0.1:6379)". */
  label: string;
  clock: Clock;
  /** Consecutive outage failures that open the breaker (default 3). */
  failureThreshold?: number;
  /** How long it stays open before a probe (default 5 s); doubles on each failed probe. */
  coolDownMs?: number;
  /** The longest cool-down after repeated failed probes (default 60 s). */
  maxCoolDownMs?: number;
  /**
   * false: watch only, never refuse (a dependency whose calls must each be tried, such as the
   * ledger, whose refusal is already the caller's answer). Default true.
   */
  failFast?: boolean;
  /** Whether an error means the dependency failed, rather than the call (default isOutage). */
  isFailure?: (err: unknown) => boolean;
  /** After every outcome: the health manager derives up/degraded/down from the snapshot. */
  onOutcome?: () => void;
}

export interface BreakerSnapshot {
  state: BreakerState;
  /** Consecutive outage failures (0 after a success). */
  failures: number;
  last_error?: string;
  last_error_at?: number;
  /** When an open breaker lets the next call through as a probe. */
  retry_at?: number;
}

export interface Breaker {
  readonly name: string;
  readonly label: string;
  snapshot(): BreakerSnapshot;
  /** Runs `fn` unless the breaker is open; counts its outcome. */
  run<T>(fn: () => Promise<T>): Promise<T>;
  /**
   * Runs a light probe whatever the state: its success closes the breaker at once, so agov is
   * back within one probe interval of its dependency; its failure does not lengthen the wait of
   * the calls (the cool-down grows only with calls that found it down).
   */
  probe<T>(fn: () => Promise<T>): Promise<T>;
  /** Whether a call would be let through now (closed, or due for its probe). */
  due(): boolean;
  /** Outcomes seen elsewhere (a probe run outside `run`, an agent's report). */
  succeeded(): void;
  failed(err: unknown): void;
}

/** Reasons that are answers from a dependency that works (or from agov itself), not outages. */
const NOT_OUTAGE = new Set(["DEPENDENCY_DOWN", "LOCKS_HELD_AFTER_DATA_LOSS"]);
const NETWORK = /^(ECONNREFUSED|ECONNRESET|ETIMEDOUT|EHOSTUNREACH|ENETUNREACH|EPIPE|ENOTFOUND)$/;

/**
 * Only a dependency's failure counts: lost connection, timeout, refused. An agent's bad input, a
 * DENIED, a CONFLICT are answers from a working dependency.
 */
export function isOutage(err: unknown): boolean {
  if (err instanceof AgovError)
    return err.code === "UNAVAILABLE" && !NOT_OUTAGE.has(err.reason ?? "");
  const code = (err as { code?: unknown } | null)?.code;
  return typeof code === "string" && NETWORK.test(code);
}

export const errorText = (err: unknown): string =>
  (err instanceof Error ? err.message : String(err)).slice(0, 500);

export function createBreaker(opts: BreakerOptions): Breaker {
  const { clock, name, label } = opts;
  const threshold = Math.max(1, opts.failureThreshold ?? 3);
  const baseCoolDown = opts.coolDownMs ?? 5000;
  const maxCoolDown = Math.max(baseCoolDown, opts.maxCoolDownMs ?? 60_000);
  const failFast = opts.failFast ?? true;
  const isFailure = opts.isFailure ?? isOutage;
  let state: BreakerState = "closed";
  let failures = 0;
  let reopened = 0;
  let retryAt = 0;
  let lastError: { text: string; at: number } | undefined;

  const open = () => {
    state = "open";
    retryAt = clock.now() + Math.min(maxCoolDown, baseCoolDown * 2 ** reopened);
    reopened++;
  };
  const succeeded = () => {
    failures = 0;
    reopened = 0;
    state = "closed";
    opts.onOutcome?.();
  };
  const failed = (err: unknown) => {
    failures++;
    lastError = { text: errorText(err), at: clock.now() };
    if (state === "half_open" || (state === "closed" && failures >= threshold)) open();
    opts.onOutcome?.();
  };

  const refusal = () => {
    const now = clock.now();
    const at = Math.max(now, retryAt);
    const inS = Math.ceil((at - now) / 1000);
    return new AgovError(
      "UNAVAILABLE",
      `${label} is down (${failures} failures in a row, last: ${lastError?.text ?? "unknown"}); refused at once, nothing was sent; agov tries it again at ${new Date(at).toISOString()}${inS > 0 ? ` (in ${inS} s)` : ""}: retry after that`,
      {
        reason: "DEPENDENCY_DOWN",
        dependency: name,
        retry_at: at,
        outcome: "not applied",
      },
    );
  };

  const due = () => state === "closed" || (state === "open" && clock.now() >= retryAt);

  return {
    name,
    label,
    snapshot: () => ({
      state,
      failures,
      ...(lastError ? { last_error: lastError.text, last_error_at: lastError.at } : {}),
      ...(state === "closed" ? {} : { retry_at: retryAt }),
    }),
    due,
    succeeded,
    failed,
    async probe<T>(fn: () => Promise<T>): Promise<T> {
      try {
        const out = await fn();
        succeeded();
        return out;
      } catch (err) {
        if (!isFailure(err)) succeeded();
        else if (state === "closed") failed(err);
        else {
          failures++;
          lastError = { text: errorText(err), at: clock.now() };
          opts.onOutcome?.();
        }
        throw err;
      }
    },
    async run<T>(fn: () => Promise<T>): Promise<T> {
      if (failFast && state !== "closed") {
        // One call at a time probes a dependency coming back; the others are refused meanwhile.
        if (state === "half_open" || clock.now() < retryAt) throw refusal();
        state = "half_open";
      }
      try {
        const out = await fn();
        succeeded();
        return out;
      } catch (err) {
        if (isFailure(err)) failed(err);
        else succeeded(); // it answered: the dependency works, the call was wrong
        throw err;
      }
    },
  };
}
