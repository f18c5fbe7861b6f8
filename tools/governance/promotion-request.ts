import { z } from "zod";
import { defineTool } from "../define.js";
import { runMetrics, withIsoMetrics } from "../outputs.js";

export const promotionRequest = defineTool({
  name: "promotion_request",
  tier: 0,
  description:
    "Ask for the next tier. Granted when your record of compliant runs meets the threshold (T1: 5 consecutive; T2: 10 consecutive, 15 in all; T3: 20 consecutive, 40 in all); T3 → T4 waits for an architect's approval. Every decision is recorded.",
  input: z.strictObject({}),
  output: z.looseObject({
    decision: z.string(),
    reason: z.string(),
    metrics: runMetrics.optional(),
  }),
  annotations: { title: "Request promotion", readOnlyHint: false, idempotentHint: false },
  phases: "any",
  handler: async (_input, ctx) => withIsoMetrics(await ctx.governance.requestPromotion(ctx.caller)),
});
