import { z } from "zod";
import { defineTool } from "../define.js";
import { agentId, identifier, taskId } from "../fields.js";
import { isoOf, isoTime } from "../outputs.js";

export const auditQuery = defineTool({
  name: "audit_query",
  tier: 0,
  description:
    "Query the audit ledger: who called which tool, when, with what decision, newest first. Says how many rows match (total), how many lie beyond this page (more) and the cursor of the next page (next_cursor). T0-T3 callers see only their own rows; T4 sees every agent's.",
  input: z.strictObject({
    agent_id: agentId
      .optional()
      .describe(
        "Only this agent's rows (T4 only: below T4 you see your own rows whatever you name).",
      ),
    tool: identifier("tool name")
      .optional()
      .describe("Only calls of this tool, e.g. lock_acquire."),
    decision: z.enum(["allow", "deny"]).optional().describe("Only allowed or only denied calls."),
    task_id: taskId.optional().describe("Only calls made for this task."),
    session_id: identifier("session id")
      .optional()
      .describe("Only calls of this MCP session (its id, as whoami or the ledger shows it)."),
    since: z.iso
      .datetime({ offset: true })
      .optional()
      .describe("Only rows at or after this time, ISO 8601 (e.g. 2026-01-01T00:00:00Z)."),
    limit: z
      .number()
      .int()
      .min(1)
      .max(1000)
      .optional()
      .describe("At most this many rows, newest first (default 50)."),
    cursor: z
      .number()
      .int()
      .min(1)
      .optional()
      .describe("The next_cursor of the page before: the rows older than it."),
  }),
  output: z.strictObject({
    rows: z.array(
      z.looseObject({
        id: z.number().int(),
        timestamp: isoTime,
        agent_id: z.string(),
        action: z.string(),
        decision: z.string(),
        tool: z.string().nullable(),
      }),
    ),
    total: z.number().int(),
    more: z.number().int(),
    next_cursor: z.number().int().nullable(),
    note: z.string().optional(),
  }),
  annotations: { title: "Query audit trail", readOnlyHint: true, idempotentHint: true },
  async handler(input, ctx) {
    const r = await ctx.audit.query(ctx.caller, input);
    const rows = (r.rows as Array<{ timestamp: string }>).map((row) => ({
      ...row,
      timestamp: isoOf(row.timestamp),
    }));
    return { ...r, rows };
  },
});
