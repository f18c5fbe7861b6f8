// The audit ledger port: every governed call, allowed or refused, is a hash-chained row.
export { createSqliteLedger } from "./sqlite.js";

export type Decision = "allow" | "deny";

/** What is known before a call runs (the chained, immutable part of a row). */
export interface ActionEntry {
  agent_id: string;
  agent_version?: string | null;
  tier?: number | null;
  action: string;
  decision: Decision;
  confidence?: number | null;
  tool?: string | null;
  session_id?: string | null;
  args_digest?: string | null;
}

/** What is known after it ran. */
export interface ActionOutcome {
  success: boolean;
  error_type?: string | null;
  error_message?: string | null;
  latency_us?: number | null;
}

export interface ActionRow {
  id: number;
  timestamp: string;
  agent_id: string;
  agent_version: string | null;
  tier: number | null;
  action: string;
  decision: Decision;
  confidence: number | null;
  success: number | null;
  error_type: string | null;
  error_message: string | null;
  tool: string | null;
  session_id: string | null;
  args_digest: string | null;
  latency_us: number | null;
  prev_hash: string;
  entry_hash: string;
  hash: string;
}

export interface ActionQuery {
  agent_id?: string;
  tool?: string;
  decision?: Decision;
  since?: string;
  limit?: number;
  /** Newest first when true (the default); oldest first otherwise. */
  newest_first?: boolean;
}

export type VerifyResult =
  | { ok: true; rows: number }
  | { ok: false; rows: number; bad_row: number; reason: string };

export interface ViolationInput {
  agent_id: string;
  task_id?: string | null;
  violation_type: string;
  severity: "low" | "medium" | "high" | "critical";
  description: string;
  tool?: string | null;
}

export interface RevocationInput {
  agent_id: string;
  task_id?: string | null;
  reason_type: string;
  details: string;
  revoked_by: string;
}

export interface PromotionInput {
  agent_id: string;
  from_tier: number;
  to_tier: number;
  decision: "granted" | "refused" | "pending";
  reason: string;
  approved_by?: string | null;
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
  /** Appends a row; when the outcome is known already (a refusal), pass it too. */
  append(entry: ActionEntry, outcome?: ActionOutcome): number;
  /** Fills the outcome of a row appended without one. */
  complete(id: number, outcome: ActionOutcome): void;
  query(q: ActionQuery): ActionRow[];
  verify(): VerifyResult;
  count(): number;
  recordViolation(v: ViolationInput): void;
  violations(agentId?: string): Array<ViolationInput & { id: number; timestamp: string }>;
  recordRevocation(r: RevocationInput): void;
  revocations(agentId?: string): Array<RevocationInput & { id: number; timestamp: string }>;
  recordPromotion(p: PromotionInput): void;
  promotions(agentId?: string): Array<PromotionInput & { id: number; timestamp: string }>;
  metrics(agentId: string): AgentMetrics;
  recordRun(agentId: string, tier: number, compliant: boolean): AgentMetrics;
  setMetricsTier(agentId: string, tier: number): void;
  close(): void;
}
