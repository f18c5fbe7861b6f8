// Error budgets and the seed's automatic revocation triggers, as pure decisions over counters.
import type { RevocationReason } from "../ledger/index.js";
import type { ErrorCounters } from "../state/index.js";
import type { ErrorBudget } from "./packets.js";

export type { RevocationReason } from "../ledger/index.js";

export interface Trigger {
  reason: RevocationReason;
  details: string;
}

/** The trigger the counters have reached, if any; `lastType` is the error just counted. */
export function budgetTrigger(
  c: ErrorCounters,
  budget: ErrorBudget,
  lastType?: string,
): Trigger | null {
  if (c.procedure_violations >= budget.max_procedure_violations) {
    return {
      reason: "PROCEDURE_VIOLATION",
      details: `${c.procedure_violations} procedure violation(s); the budget allows fewer than ${budget.max_procedure_violations}`,
    };
  }
  const repeated = lastType
    ? ([lastType, c.by_type[lastType] ?? 0] as const)
    : Object.entries(c.by_type).sort((a, b) => b[1] - a[1])[0];
  if (repeated && repeated[1] >= budget.max_same_error_repeats) {
    return {
      reason: "SAME_ERROR_REPEATED",
      details: `error ${repeated[0]} occurred ${repeated[1]} times; the budget allows fewer than ${budget.max_same_error_repeats}`,
    };
  }
  if (c.total_errors >= budget.max_total_errors) {
    return {
      reason: "ERROR_BUDGET_EXCEEDED",
      details: `${c.total_errors} errors; the budget allows fewer than ${budget.max_total_errors}`,
    };
  }
  return null;
}
