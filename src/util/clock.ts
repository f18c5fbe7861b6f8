// Injected time and ids, so TTLs, heartbeats, timeouts and spawn conditions are testable without
// sleeping: a timeout waits on the clock's own time, which a test moves by hand.
import { randomBytes, randomUUID } from "node:crypto";

export interface Clock {
  /** Milliseconds since the epoch. */
  now(): number;
  /**
   * Resolves once `ms` of this clock's time has passed, or at once when `signal` aborts.
   * Without it (a bare `{ now }` clock) waits are real timers.
   */
  after?(ms: number, signal?: AbortSignal): Promise<void>;
}

export const systemClock: Clock = { now: () => Date.now(), after: (ms, s) => realWait(ms, s) };

/** Waits `ms` on the clock's time (or for real, for a clock without timers). */
export function wait(clock: Clock, ms: number, signal?: AbortSignal): Promise<void> {
  return clock.after ? clock.after(ms, signal) : realWait(ms, signal);
}

function realWait(ms: number, signal?: AbortSignal): Promise<void> {
  return new Promise((resolve) => {
    if (signal?.aborted) return resolve();
    const t = setTimeout(done, ms);
    function done() {
      clearTimeout(t);
      signal?.removeEventListener("abort", done);
      resolve();
    }
    signal?.addEventListener("abort", done, { once: true });
  });
}

/** A clock a test moves by hand; its waits end when it is moved past them. */
export function manualClock(start = Date.parse("2026-01-01T00:00:00Z")): Clock & {
  advance(ms: number): void;
  set(ms: number): void;
} {
  let t = start;
  const waits = new Set<{ at: number; done: () => void }>();
  const fire = () => {
    for (const w of [...waits]) if (w.at <= t) w.done();
  };
  return {
    now: () => t,
    after(ms, signal) {
      return new Promise((resolve) => {
        if (signal?.aborted) return resolve();
        const w = {
          at: t + ms,
          done() {
            waits.delete(w);
            signal?.removeEventListener("abort", w.done);
            resolve();
          },
        };
        waits.add(w);
        signal?.addEventListener("abort", w.done, { once: true });
        if (ms <= 0) w.done();
      });
    },
    advance(ms: number) {
      t += ms;
      fire();
    },
    set(ms: number) {
      t = ms;
      fire();
    },
  };
}

export interface Ids {
  next(): string;
  secret(bytes?: number): string;
}

export const randomIds: Ids = {
  next: () => randomUUID(),
  secret: (bytes = 32) => randomBytes(bytes).toString("base64url"),
};

export const isoNow = (clock: Clock): string => new Date(clock.now()).toISOString();
