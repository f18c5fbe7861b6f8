// The audit ledger port: every governed call and every governance event is one row of a keyed
// hash chain, written through one recorder that takes a fixed set of event kinds. Revocations,
// violations, promotions and agent metrics are derived from chained rows, never stored apart.
import type { ErrorCode, Reason } from "../util/errors.js";

export { createSqliteLedger } from "./sqlite.js";

export type Decision = "allow" | "deny";

/** The kinds of rows the ledger holds; `agov audit query --kind` filters by them. */
export const LEDGER_KINDS = [
  /** A governed tools/call, allowed or refused, with its outcome. */
  "tool_call",
  /** A request refused before it reached a tool (HTTP bearer check), aggregated per source. */
  "auth_refused",
  /** An MCP session opened, refused or closed. */
  "session",
  /** An operator issued or revoked tokens. */
  "token",
  /** An agent was revoked (derives the revocations and violations views). */
  "revocation",
  /** An agent's run ended, compliant or not (derives agent_metrics). */
  "run",
  /** A promotion decision (derives the promotions view). */
  "promotion",
  /** An agent's tier was set by an operator or a promotion. */
  "tier",
  /** A consensus proposal was decided. */
  "consensus",
  /** An agent reported an error of its own. */
  "error_report",
  /** A pipeline run's step, stage or gate decision. */
  "pipeline",
  /** An operator's administrative action (policies, Vault roles). */
  "operator",
  /** A command a pipeline stage ran: its row before it starts, its outcome after. */
  "command",
  /** A call a pipeline stage made to another service (GitHub): before it is sent, and its answer. */
  "integration",
] as const;
export type LedgerKind = (typeof LEDGER_KINDS)[number];

export const REVOCATION_REASONS = [
  "PROCEDURE_VIOLATION",
  "SAME_ERROR_REPEATED",
  "ERROR_BUDGET_EXCEEDED",
  "MISSING_ARTIFACT",
  "FORBIDDEN_ACTION",
  "MANUAL",
] as const;
export type RevocationReason = (typeof REVOCATION_REASONS)[number];
export type Severity = "low" | "medium" | "high" | "critical";

/** The fields every row has; what is known before the action runs (the chained entry). */
export interface EntryFields {
  agent_id: string;
  agent_version?: string | null;
  tier?: number | null;
  /** A short human description; the kind says what sort of row it is. */
  action: string;
  decision: Decision;
  confidence?: number | null;
  tool?: string | null;
  session_id?: string | null;
  args_digest?: string | null;
}

export interface RevocationDetail {
  task_id: string | null;
  reason_type: RevocationReason;
  details: string;
  revoked_by: string;
  severity: Severity;
}
export interface RunDetail {
  compliant: boolean;
  task_id?: string | null;
  run_id?: string | null;
}
export interface PromotionDetail {
  from_tier: number;
  to_tier: number;
  decision: "granted" | "refused" | "pending";
  reason: string;
  approved_by?: string | null;
}
export interface TierDetail {
  tier: number;
  by: string;
}

/** One row to record: its kind and, for the derived kinds, a typed detail. */
export type LedgerEvent = EntryFields &
  (
    | { kind: "revocation"; detail: RevocationDetail }
    | { kind: "run"; detail: RunDetail }
    | { kind: "promotion"; detail: PromotionDetail }
    | { kind: "tier"; detail: TierDetail }
    | {
        kind: Exclude<LedgerKind, "revocation" | "run" | "promotion" | "tier">;
        detail?: Record<string, unknown>;
      }
  );

/** What is known after the action ran. `success: null` marks an outcome that is not known. */
export interface ActionOutcome {
  success: boolean | null;
  /** One of the error codes (src/util/errors.ts). */
  error_type?: ErrorCode | null;
  /** The rule that answered, one of REASONS. */
  error_reason?: Reason | null;
  error_message?: string | null;
  latency_us?: number | null;
}

export interface ActionRow {
  id: number;
  timestamp: string;
  /** "legacy": written before rows had kinds. */
  kind: LedgerKind | "legacy";
  agent_id: string;
  agent_version: string | null;
  tier: number | null;
  action: string;
  decision: Decision;
  confidence: number | null;
  success: number | null;
  error_type: string | null;
  error_reason: string | null;
  error_message: string | null;
  tool: string | null;
  session_id: string | null;
  args_digest: string | null;
  latency_us: number | null;
  detail: string | null;
  prev_hash: string;
  entry_hash: string;
  hash: string;
}

export interface ActionQuery {
  agent_id?: string;
  tool?: string;
  decision?: Decision;
  kind?: LedgerKind;
  session_id?: string;
  /** Rows whose detail names this task (tool calls whose arguments carried task_id, runs). */
  task_id?: string;
  since?: string;
  /** Only rows with a larger id: how `agov audit export` pages through the ledger, oldest first. */
  after_id?: number;
  /** Only rows with a smaller id: how `agov audit query --cursor` pages, newest first. */
  before_id?: number;
  limit?: number;
  /** Newest first when true (the default); oldest first otherwise. */
  newest_first?: boolean;
}

/** Why a chain does not verify, so an auditor knows what happened, not only where. */
export type TamperKind = "modified" | "missing" | "rechained" | "truncated" | "wiped" | "key";

/**
 * What a verify read. "full": every row from row 1. "incremental": only the rows after the last
 * verified checkpoint (rows up to it were verified before and are not read again).
 */
export interface VerifyScope {
  scope: "full" | "incremental";
  /** The checkpoint an incremental verify started after; null for a full one. */
  checkpoint: number | null;
  /** Why the stored checkpoint was set aside for a full verify, when it was. */
  fallback?: string;
}

export type VerifyResult =
  | (VerifyScope & {
      ok: true;
      /** Rows read: first_row to last_row (none when first_row > last_row). */
      rows: number;
      first_row: number;
      last_row: number;
      anchored_to: number | null;
    })
  | (VerifyScope & {
      ok: false;
      rows: number;
      bad_row: number;
      kind: TamperKind;
      reason: string;
    });

/**
 * The row a verify last reached with the whole chain up to it intact, signed with the ledger key
 * (kept in the ledger's meta table): the next verify starts after it.
 */
export interface Checkpoint {
  row_id: number;
  entry_hash: string;
  at: string;
  mac: string;
}

/** A signed checkpoint of the chain's tip, kept where the database's owner cannot roll it back. */
export interface Anchor {
  row_id: number;
  entry_hash: string;
  at: string;
  /** Rows up to here were chained before the ledger was keyed (unkeyed SHA-256). */
  legacy?: boolean;
  mac: string;
}

export interface Revocation {
  id: number;
  timestamp: string;
  agent_id: string;
  task_id: string | null;
  reason_type: RevocationReason;
  details: string;
  revoked_by: string;
}
export interface Violation {
  id: number;
  timestamp: string;
  agent_id: string;
  task_id: string | null;
  violation_type: RevocationReason;
  severity: Severity;
  description: string;
  tool: string | null;
}
export interface Promotion extends PromotionDetail {
  id: number;
  timestamp: string;
  agent_id: string;
}

export interface AgentMetrics {
  agent_id: string;
  current_tier: number | null;
  total_runs: number;
  compliant_runs: number;
  consecutive_compliant: number;
  last_active_at: string | null;
}

export interface Ledger {
  /** Records one complete row and resolves once it is durable. */
  record(event: LedgerEvent, outcome: ActionOutcome): Promise<number>;
  /**
   * Records a row whose outcome is not known yet (a changing call, before it runs), durable when
   * the promise resolves. Its outcome follows with complete().
   */
  begin(event: LedgerEvent): Promise<number>;
  /**
   * Fills the outcome of a begun row. Written with the next commit (or within a few ms): a crash
   * before then leaves the row with no outcome, which every reader shows as unknown.
   */
  complete(id: number, outcome: ActionOutcome): void;
  /** Writes whatever is queued. */
  flush(): Promise<void>;
  query(q: ActionQuery): Promise<ActionRow[]>;
  /** How many rows match every filter of q (limit and order aside): what a page leaves out. */
  matching(q: ActionQuery): Promise<number>;
  /**
   * Checks the keyed chain against itself and against the anchors it keeps, plus any given
   * (anchors exported earlier with `agov audit anchor` and kept elsewhere). By default only the
   * rows after the last verified checkpoint are read; `full` reads every row.
   */
  verify(opts?: { anchors?: Anchor[]; full?: boolean }): Promise<VerifyResult>;
  /** Writes and returns a signed anchor of the current tip (null when the ledger is empty). */
  anchor(): Promise<Anchor | null>;
  count(): Promise<number>;
  revocations(agentId?: string): Promise<Revocation[]>;
  violations(agentId?: string): Promise<Violation[]>;
  promotions(agentId?: string): Promise<Promotion[]>;
  metrics(agentId: string): Promise<AgentMetrics>;
  close(): Promise<void>;
}
