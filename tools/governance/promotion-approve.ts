import { z } from "zod";
import { defineTool } from "../define.js";
import { agentId } from "../fields.js";

export const promotionApprove = defineTool({
  name: "promotion_approve",
  tier: 4,
  description: "Approve an agent's pending T3 → T4 promotion (never your own).",
  input: z.strictObject({
    agent_id: agentId.describe("The agent whose pending promotion request to approve."),
  }),
  output: z.looseObject({ agent_id: z.string(), decision: z.string(), reason: z.string() }),
  annotations: { title: "Approve promotion", readOnlyHint: false, idempotentHint: false },
  phases: "any",
  handler: ({ agent_id }, ctx) => ctx.governance.approvePromotion(ctx.caller, agent_id),
});
