// The audit trail as callers see it: who called which tool, when, with what decision. Below T4 a
// caller sees only its own rows, whatever agent it names; the ledger's hashes stay inside.
import type { Caller } from "../authority/index.js";
import type { ActionQuery, Ledger, VerifyResult } from "../ledger/index.js";

export interface AuditQueryInput {
  agent_id?: string | undefined;
  tool?: string | undefined;
  decision?: "allow" | "deny" | undefined;
  task_id?: string | undefined;
  session_id?: string | undefined;
  since?: string | undefined;
  limit?: number | undefined;
  /** The next_cursor of the page before: rows older than it. */
  cursor?: number | undefined;
}

export interface AuditPage {
  rows: unknown[];
  /** Rows matching the filters, on every page. */
  total: number;
  /** Matching rows beyond this page. */
  more: number;
  /** Pass as cursor for the next page; null when there is none. */
  next_cursor: number | null;
  note?: string;
}

export interface Audit {
  query(caller: Caller, input: AuditQueryInput): Promise<AuditPage>;
  /** The chain checked from its last verified checkpoint (the tool that calls it is T4's). */
  verify(): Promise<VerifyResult>;
}

export function createAudit(ledger: Ledger): Audit {
  return {
    async query(caller, input) {
      const own = caller.tier < 4;
      if (own && input.agent_id && input.agent_id !== caller.agent_id) {
        return {
          rows: [],
          total: 0,
          more: 0,
          next_cursor: null,
          note: `tier T${caller.tier} callers see only their own rows (${caller.agent_id})`,
        };
      }
      const { cursor, limit, ...filters } = input;
      const filter: ActionQuery = { ...filters, agent_id: own ? caller.agent_id : input.agent_id };
      const rows = await ledger.query({
        ...filter,
        ...(cursor ? { before_id: cursor } : {}),
        limit: limit ?? 100,
      });
      const last = rows[rows.length - 1];
      const [total, more] = await Promise.all([
        ledger.matching(filter),
        last ? ledger.matching({ ...filter, before_id: last.id }) : 0,
      ]);
      return {
        rows: rows.map(({ prev_hash: _p, entry_hash: _e, hash: _h, ...r }) => ({
          ...r,
          success: r.success === null ? null : r.success === 1,
        })),
        total,
        more,
        next_cursor: last && more > 0 ? last.id : null,
      };
    },
    verify: () => ledger.verify(),
  };
}
