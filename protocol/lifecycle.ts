// What agov and its agents must agree on, in one place, importing nothing: the lifecycle phases
// and the trust tiers. The server (src/) and the bundled agents (agents/) both import it.

/** One phase at a time, in this order: the agent lifecycle of the seed. */
export const PHASES = [
  "BOOTSTRAP",
  "PREFLIGHT",
  "PLAN",
  "EXECUTE",
  "VERIFY",
  "PACKAGE",
  "REPORT",
  "EXIT",
] as const;
export type Phase = (typeof PHASES)[number];

/** Phases in which a tool that changes something may run, unless its definition says otherwise. */
export const DEFAULT_WRITE_PHASES: readonly Phase[] = ["EXECUTE", "VERIFY"];

/** T0 Observer … T4 Architect. */
export const TIER_NAMES = ["observer", "operator", "builder", "executor", "architect"] as const;
export type Tier = 0 | 1 | 2 | 3 | 4;
