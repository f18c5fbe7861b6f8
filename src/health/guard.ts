// The ports behind their breakers: one wrapper per port instead of an edit in every adapter, so the
// Redis, SQLite, Vault and local adapters stay as they are and all of them feed the health manager.
import type { Authority } from "../authority/index.js";
import type { Ledger } from "../ledger/index.js";
import type { StateStore } from "../state/index.js";
import type { Breaker } from "./breaker.js";

type Fn = (...a: never[]) => Promise<unknown>;

/** The same object with each listed async method run through the breaker. */
function through<T extends object>(target: T, breaker: Breaker, names: readonly (keyof T)[]): T {
  const out = { ...target } as Record<keyof T, unknown>;
  // Looked up at each call, not at wrapping: the port's own object stays the one that answers.
  for (const name of names)
    out[name] = (...a: never[]) =>
      breaker.run(() => (target[name] as unknown as Fn).apply(target, a));
  return out as T;
}

const asyncMethods = <T extends object>(ns: T) =>
  (Object.keys(ns) as (keyof T)[]).filter((k) => typeof ns[k] === "function");

const NAMESPACES = [
  "locks",
  "blackboard",
  "messages",
  "agents",
  "errors",
  "tasks",
  "revocations",
  "idempotency",
  "sessions",
  "artifacts",
  "plans",
  "exits",
  "roster",
  "pipelineRuns",
  "findings",
] as const satisfies readonly (keyof StateStore)[];

export function guardState(store: StateStore, breaker: Breaker): StateStore {
  const out = { ...store } as StateStore & Record<string, unknown>;
  for (const ns of NAMESPACES) {
    const part = store[ns] as object;
    (out as Record<string, unknown>)[ns] = through(part, breaker, asyncMethods(part));
  }
  // Subscribing is local bookkeeping; publishing goes to the store.
  out.events = { ...through(store.events, breaker, ["publish"]) };
  out.close = () => store.close();
  return out;
}

export function guardAuthority(authority: Authority, breaker: Breaker): Authority {
  const guarded = through(authority, breaker, [
    "resolve",
    "grants",
    "tierGrants",
    "issue",
    "revokeAgent",
    "list",
    "tierOf",
    "setTier",
  ]);
  return { ...guarded, kind: authority.kind, close: () => authority.close() };
}

/** The ledger is watched, not cut off: its breaker never refuses (failFast false). */
export function guardLedger(ledger: Ledger, breaker: Breaker): Ledger {
  return { ...through(ledger, breaker, ["record", "begin", "flush"]) };
}
