// stage_run (T2): an assigned agent takes its stage of a run and gets the stage's packet.
import { z } from "zod";
import { defineTool } from "../define.js";
import { identifier } from "../fields.js";
import { packet } from "../outputs.js";

export const stageRun = defineTool({
  name: "stage_run",
  tier: 2,
  description:
    "Take the stage of a pipeline run that you are assigned to, once the run has reached it: you get the stage's instruction packet (its artifacts are your deliverables) and work it through the lifecycle under your own identity (BOOTSTRAP with the returned task_id … EXIT). The run moves on when you reach EXIT with every artifact recorded. The stage may ask for a higher tier than T2.",
  input: z.strictObject({
    run_id: identifier("run id").describe("The pipeline run."),
    stage: z.string().min(1).max(63).describe("The stage assigned to you to take and run."),
  }),
  output: z.looseObject({ run_id: z.string(), stage: z.string(), task_id: z.string(), packet }),
  annotations: { title: "Take a pipeline stage", readOnlyHint: false, idempotentHint: true },
  phases: "any",
  handler: (input, ctx) => ctx.pipelines.claim(ctx.caller, input.run_id, input.stage),
});
