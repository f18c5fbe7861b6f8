// gate_approve (T4): approve or reject a human gate a run is waiting at.
import { z } from "zod";
import { defineTool } from "../define.js";
import { identifier } from "../fields.js";

export const gateApprove = defineTool({
  name: "gate_approve",
  tier: 4,
  description:
    "Decide a human gate that a pipeline run is waiting at: approve (the run goes on) or reject (the run stops), with a reason. Only a gate that is waiting and not past its timeout can be decided, once.",
  input: z.strictObject({
    run_id: identifier("run id").describe(
      "The pipeline run, from pipeline_run or pipeline_status.",
    ),
    stage: z.string().min(1).max(63).describe("The gate stage that is waiting."),
    decision: z
      .enum(["approve", "reject"])
      .default("approve")
      .describe("Approve (default) or reject the gate."),
    reason: z.string().min(1).max(1000).optional().describe("Why, recorded with the decision."),
  }),
  output: z.looseObject({
    run_id: z.string(),
    stage: z.string(),
    decision: z.string(),
    by: z.string(),
  }),
  annotations: { title: "Approve or reject a gate", readOnlyHint: false, idempotentHint: false },
  phases: "any",
  handler: (input, ctx) =>
    ctx.pipelines.decide(input.run_id, input.stage, {
      decision: input.decision,
      by: ctx.caller.agent_id,
      reason: input.reason,
    }),
});
