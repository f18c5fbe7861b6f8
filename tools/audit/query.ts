import { z } from "zod";
import { defineTool } from "../define.js";
import { agentId, identifier } from "../fields.js";

export const auditQuery = defineTool({
  name: "audit_query",
  tier: 0,
  description:
    "Query the audit ledger: who called which tool, when, with what decision. T0-T3 callers see only their own rows; T4 sees every agent's.",
  input: z.strictObject({
    agent_id: agentId.optional(),
    tool: identifier("tool name").optional(),
    decision: z.enum(["allow", "deny"]).optional(),
    since: z.iso.datetime({ offset: true }).optional(),
    limit: z.number().int().min(1).max(1000).optional(),
  }),
  annotations: { title: "Query audit trail", readOnlyHint: true, idempotentHint: true },
  async handler(input, { caller, ledger }) {
    const own = caller.tier < 4;
    if (own && input.agent_id && input.agent_id !== caller.agent_id) {
      return {
        rows: [],
        note: `tier T${caller.tier} callers see only their own rows (${caller.agent_id})`,
      };
    }
    const rows = await ledger.query({
      ...input,
      agent_id: own ? caller.agent_id : input.agent_id,
      limit: input.limit ?? 100,
    });
    return {
      rows: rows.map(({ prev_hash: _p, entry_hash: _e, hash: _h, ...r }) => ({
        ...r,
        success: r.success === null ? null : r.success === 1,
      })),
    };
  },
});
