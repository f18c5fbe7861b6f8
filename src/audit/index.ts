// The audit trail as callers see it: who called which tool, when, with what decision. Below T4 a
// caller sees only its own rows, whatever agent it names; the ledger's hashes stay inside.
import type { Caller } from "../authority/index.js";
import type { ActionQuery, Ledger } from "../ledger/index.js";

export interface AuditQueryInput {
  agent_id?: string | undefined;
  tool?: string | undefined;
  decision?: "allow" | "deny" | undefined;
  since?: string | undefined;
  limit?: number | undefined;
}

export interface Audit {
  query(caller: Caller, input: AuditQueryInput): Promise<{ rows: unknown[]; note?: string }>;
}

export function createAudit(ledger: Ledger): Audit {
  return {
    async query(caller, input) {
      const own = caller.tier < 4;
      if (own && input.agent_id && input.agent_id !== caller.agent_id) {
        return {
          rows: [],
          note: `tier T${caller.tier} callers see only their own rows (${caller.agent_id})`,
        };
      }
      const filter: ActionQuery = {
        ...input,
        agent_id: own ? caller.agent_id : input.agent_id,
        limit: input.limit ?? 100,
      };
      const rows = await ledger.query(filter);
      return {
        rows: rows.map(({ prev_hash: _p, entry_hash: _e, hash: _h, ...r }) => ({
          ...r,
          success: r.success === null ? null : r.success === 1,
        })),
      };
    },
  };
}
