// Injected time and ids, so TTLs, heartbeats and spawn conditions are testable without sleeping.
import { randomBytes, randomUUID } from "node:crypto";

export interface Clock {
  /** Milliseconds since the epoch. */
  now(): number;
}

export const systemClock: Clock = { now: () => Date.now() };

/** A clock a test moves by hand. */
export function manualClock(start = Date.parse("2026-01-01T00:00:00Z")): Clock & {
  advance(ms: number): void;
  set(ms: number): void;
} {
  let t = start;
  return {
    now: () => t,
    advance(ms: number) {
      t += ms;
    },
    set(ms: number) {
      t = ms;
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
