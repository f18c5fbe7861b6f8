// The columns of a new ledger row, built the same way by every adapter: caller text bounded, the
// detail as canonical JSON, the outcome (when known) in its columns. The chain hashes this object.
import { canonicalJson } from "../util/json.js";
import { cap, LIMITS, outcomeColumns } from "./chain.js";
import type { ActionOutcome, AgentMetrics, LedgerEvent } from "./index.js";

export type Row = Record<string, unknown>;

export function toRow(
  event: LedgerEvent,
  outcome: ActionOutcome | undefined,
  timestamp: string,
): Row {
  const detail = event.detail === undefined ? null : boundedDetail(event.detail);
  return {
    timestamp,
    kind: event.kind,
    agent_id: cap(event.agent_id, LIMITS.agent_id),
    agent_version: cap(event.agent_version ?? null, LIMITS.agent_version),
    tier: event.tier ?? null,
    action: cap(event.action, LIMITS.action),
    decision: event.decision,
    confidence: event.confidence ?? null,
    tool: cap(event.tool ?? null, LIMITS.tool),
    session_id: cap(event.session_id ?? null, LIMITS.session_id),
    args_digest: cap(event.args_digest ?? null, LIMITS.args_digest),
    detail,
    ...outcomeColumns(outcome),
  };
}

function boundedDetail(detail: object): string {
  const text = canonicalJson(detail);
  if (text.length <= LIMITS.detail) return text;
  return canonicalJson({ truncated: true, preview: cap(text, LIMITS.detail - 200) });
}

/** An agent's metrics as the view has them, or zeros for an agent with no runs yet. */
export function agentMetrics(agentId: string, m: AgentMetrics | undefined): AgentMetrics {
  return {
    agent_id: agentId,
    current_tier: m?.current_tier ?? null,
    total_runs: m?.total_runs ?? 0,
    compliant_runs: m?.compliant_runs ?? 0,
    consecutive_compliant: m?.consecutive_compliant ?? 0,
    last_active_at: m?.last_active_at ?? null,
  };
}
