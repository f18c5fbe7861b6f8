import { z } from "zod";
import { defineTool } from "../define.js";
import { identifier, taskId } from "../fields.js";

export const artifactRead = defineTool({
  name: "artifact_read",
  tier: 0,
  description:
    "Read an artifact by name: one of your own task's, or one an earlier stage of your pipeline run recorded (a command's output, a plan, a pull request it opened). T3 and above may read any task's.",
  input: z.strictObject({
    name: identifier("artifact name").describe(
      "The artifact's name, e.g. plan-output or terraform-plan.",
    ),
    task_id: taskId
      .optional()
      .describe(
        "The task that recorded it (default: your own; an earlier stage's is <run>/<stage>).",
      ),
  }),
  output: z.strictObject({
    task_id: z.string(),
    name: z.string(),
    kind: z.string(),
    author: z.string(),
    content: z.unknown(),
  }),
  annotations: { title: "Read artifact", readOnlyHint: true, idempotentHint: true },
  handler: (input, ctx) => ctx.governance.readArtifact(ctx.caller, input),
});
