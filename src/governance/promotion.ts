// Promotion thresholds: earned tiers up to T3 from a record of compliant runs; T4 only by approval.
import type { AgentMetrics } from "../ledger/index.js";

export interface Threshold {
  consecutive_compliant: number;
  compliant_runs: number;
}

/** The record needed to rise to each tier (key: the tier reached). T4 is never automatic. */
export const PROMOTION_THRESHOLDS: Readonly<Record<1 | 2 | 3, Threshold>> = {
  1: { consecutive_compliant: 5, compliant_runs: 5 },
  2: { consecutive_compliant: 10, compliant_runs: 15 },
  3: { consecutive_compliant: 20, compliant_runs: 40 },
};

export type PromotionDecision =
  | { decision: "granted"; to_tier: number; reason: string }
  | { decision: "refused"; to_tier: number; reason: string }
  | { decision: "pending"; to_tier: 4; reason: string };

export function evaluatePromotion(tier: number, m: AgentMetrics): PromotionDecision {
  if (tier >= 4)
    return { decision: "refused", to_tier: tier, reason: "already at T4, the highest tier" };
  const to = tier + 1;
  if (to === 4) {
    return {
      decision: "pending",
      to_tier: 4,
      reason: "T3 → T4 is never automatic: waiting for a T4 architect's promotion_approve",
    };
  }
  const need = PROMOTION_THRESHOLDS[to as 1 | 2 | 3];
  const short: string[] = [];
  if (m.consecutive_compliant < need.consecutive_compliant)
    short.push(
      `${m.consecutive_compliant} of ${need.consecutive_compliant} consecutive compliant runs`,
    );
  if (m.compliant_runs < need.compliant_runs)
    short.push(`${m.compliant_runs} of ${need.compliant_runs} compliant runs`);
  if (short.length > 0)
    return {
      decision: "refused",
      to_tier: to,
      reason: `T${tier} → T${to} needs ${short.join(" and ")}`,
    };
  return {
    decision: "granted",
    to_tier: to,
    reason: `${m.consecutive_compliant} consecutive compliant runs (${m.compliant_runs} in all) meet T${to}'s threshold`,
  };
}
