import { z } from "zod";
import { defineTool } from "../define.js";
import { agentId, identifier, taskId } from "../fields.js";

export const auditQuery = defineTool({
  name: "audit_query",
  tier: 0,
  description:
    "Query the audit ledger: who called which tool, when, with what decision, newest first. Says how many rows match (total), how many lie beyond this page (more) and the cursor of the next page (next_cursor). T0-T3 callers see only their own rows; T4 sees every agent's.",
  input: z.strictObject({
    agent_id: agentId.optional(),
    tool: identifier("tool name").optional(),
    decision: z.enum(["allow", "deny"]).optional(),
    task_id: taskId.optional(),
    session_id: identifier("session id").optional(),
    since: z.iso.datetime({ offset: true }).optional(),
    limit: z.number().int().min(1).max(1000).optional(),
    cursor: z.number().int().min(1).optional(),
  }),
  annotations: { title: "Query audit trail", readOnlyHint: true, idempotentHint: true },
  handler: (input, ctx) => ctx.audit.query(ctx.caller, input),
});
