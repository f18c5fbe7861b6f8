// pipeline_status (T0): a run's stages as checkpointed, or the most recent runs.
import { z } from "zod";
import { runSummary } from "../../src/pipeline/summary.js";
import { AgovError } from "../../src/util/errors.js";
import { defineTool } from "../define.js";
import { identifier } from "../fields.js";
import { iso, isoTime, runSummary as runOutput } from "../outputs.js";

export const pipelineStatus = defineTool({
  name: "pipeline_status",
  tier: 0,
  description:
    "A pipeline run's status: each stage's status (pending, running, waiting, succeeded, failed, skipped, approved, rejected, timed_out), attempts, agents, artifacts and the reason for its last transition. Without run_id, the most recent runs.",
  input: z.strictObject({
    run_id: identifier("run id")
      .optional()
      .describe("The run to show (default: the most recent runs)."),
    limit: z
      .number()
      .int()
      .min(1)
      .max(200)
      .optional()
      .describe("Without run_id: at most this many runs (default 20)."),
  }),
  output: runOutput.partial().extend({
    runs: z
      .array(z.looseObject({ run_id: z.string(), pipeline: z.string(), created_at: isoTime }))
      .optional()
      .describe("Without run_id: the most recent runs"),
  }),
  annotations: { title: "Pipeline status", readOnlyHint: true, idempotentHint: true },
  async handler(input, ctx) {
    if (!input.run_id) {
      const runs = await ctx.pipelines.list(input.limit ?? 20);
      return { runs: runs.map((r) => ({ ...r, created_at: iso(r.created_at) })) };
    }
    const record = await ctx.pipelines.status(input.run_id);
    if (!record) throw new AgovError("NOT_FOUND", `no pipeline run ${input.run_id}`);
    return runSummary(record);
  },
});
