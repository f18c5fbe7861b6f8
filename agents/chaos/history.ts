// What a chaos scenario saw, as plain records the invariant checkers read: the calls its clients
// made (and what came back), the leases they were granted, and the ledger as `agov audit` shows it.
import { createHash } from "node:crypto";

/** One logical call by a chaos worker, however many attempts it took. */
export interface Op {
  agent: string;
  tool: string;
  /** The tool's arguments, without the idempotency key. */
  args: Record<string, unknown>;
  key?: string;
  /** When the first attempt was sent, and when the answer that settled it arrived (ms). */
  sentAt: number;
  doneAt: number;
  /** ok: acknowledged; refused: a definite refusal (nothing done); unknown: never settled. */
  outcome: "ok" | "refused" | "unknown";
  data?: Record<string, unknown>;
  code?: string;
  /** The reason of a refusal, when agov gave one. */
  reason?: string;
  attempts: number;
}

/**
 * Refusals a healthy server gives on purpose, not because a dependency is down: after a Redis
 * restart that lost data, locks are refused until earlier leases have lapsed.
 */
export const DELIBERATE = new Set(["LOCKS_HELD_AFTER_DATA_LOSS"]);

/** The call was settled by a server that works: acknowledged, or refused on purpose. */
export const answered = (o: Op) =>
  o.outcome === "ok" || (o.outcome === "refused" && DELIBERATE.has(o.reason ?? ""));

/** A lock lease a worker was told it holds, and the span it certainly held it for. */
export interface Lease {
  resource: string;
  holder: string;
  lease_id: string;
  fence: number;
  /** The grant happened after this (the first attempt's send) and by this (the answer). */
  grantedAfter: number;
  grantedBy: number;
  /** Held at least until this: the first release attempt's send, or the lease's expiry. */
  heldUntil: number;
}

/** A ledger row as `agov audit query --json` prints it. */
export interface LedgerRow {
  id: number;
  kind: string;
  agent_id: string;
  tool: string | null;
  action: string;
  decision: string;
  success: boolean | null;
  error_type: string | null;
  args_digest: string | null;
  detail: unknown;
}

export interface BoardEntry {
  section: string;
  key: string;
  version: number;
  value: unknown;
  author: string;
}

/** A pipeline stage attempt that a kill interrupted, for the stage-once check. */
export interface Evidence {
  ops: Op[];
  leases: Lease[];
  ledger: LedgerRow[] | null;
  verify: { ok: boolean; detail: string } | null;
  /** The final blackboard of the workload's task (null when not read). */
  board: BoardEntry[] | null;
  /** Whether acknowledged effects must survive (AOF Redis or embedded SQLite). */
  durable: boolean;
  /** A process running the gateway was killed: rows it had begun may have no outcome. */
  gatewayKilled: boolean;
  /** Agents revoked on purpose, and what happened when they called afterwards. */
  revokedProbes: Array<{ agent: string; served: number; refused: number }>;
  /** Pipeline runs the scenario drove (for the stage-once check). */
  pipelineRuns: string[];
  recovery: Recovery | null;
  notes: string[];
}

export type Recovery =
  | { kind: "recovered"; ms: number; restarted: boolean; what?: string }
  | { kind: "not-recovered"; detail: string };

export function emptyEvidence(durable: boolean): Evidence {
  return {
    ops: [],
    leases: [],
    ledger: null,
    verify: null,
    board: null,
    durable,
    gatewayKilled: false,
    revokedProbes: [],
    pipelineRuns: [],
    recovery: null,
    notes: [],
  };
}

/**
 * The ledger's args_digest of a call: SHA-256 of its arguments as JSON with object keys sorted
 * (agov's canonical form; the workload's arguments have no secret-looking keys to redact).
 */
export function argsDigest(args: unknown): string {
  return createHash("sha256").update(sortedJson(args)).digest("hex");
}

function sortedJson(v: unknown): string {
  if (v === null || typeof v !== "object") return JSON.stringify(v) ?? "null";
  if (Array.isArray(v)) return `[${v.map(sortedJson).join(",")}]`;
  const o = v as Record<string, unknown>;
  const keys = Object.keys(o)
    .filter((k) => o[k] !== undefined)
    .sort();
  return `{${keys.map((k) => `${JSON.stringify(k)}:${sortedJson(o[k])}`).join(",")}}`;
}
