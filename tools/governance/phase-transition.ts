import { z } from "zod";
import { defineTool } from "../define.js";
import { phase, shortText, taskId } from "../fields.js";
import { runMetrics, strings, withIsoMetrics } from "../outputs.js";

export const phaseTransition = defineTool({
  name: "phase_transition",
  tier: 0,
  description:
    "Move your run to the next lifecycle phase: BOOTSTRAP → PREFLIGHT → PLAN → EXECUTE → VERIFY → PACKAGE → REPORT → EXIT. Each transition is a heartbeat, refreshes your execution lock and checks your error budget. Skipping or going back is a procedure violation; EXECUTE needs a plan artifact; VERIFY needs every deliverable; EXIT releases your locks.",
  input: z.strictObject({
    phase: phase.describe(
      "The phase to enter: BOOTSTRAP, PREFLIGHT, PLAN, EXECUTE, VERIFY, PACKAGE, REPORT or EXIT, in order.",
    ),
    step: shortText(200).optional().describe("What you are doing in the phase, for the roster."),
    task_id: taskId.optional().describe("The task (default: your packet's task)."),
  }),
  output: z.looseObject({
    phase: z.string(),
    task_id: z.string(),
    run_id: z.string(),
    released_locks: strings.optional(),
    compliant: z.boolean().optional(),
    metrics: runMetrics.optional(),
  }),
  annotations: { title: "Phase transition", readOnlyHint: false, idempotentHint: false },
  phases: "any",
  handler: async (input, ctx) => withIsoMetrics(await ctx.governance.transition(ctx.caller, input)),
});
