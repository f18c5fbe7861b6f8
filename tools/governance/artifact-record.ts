import { z } from "zod";
import { defineTool } from "../define.js";
import { identifier, jsonValue, taskId } from "../fields.js";

export const artifactRecord = defineTool({
  name: "artifact_record",
  tier: 0,
  description:
    "Record an artifact of your task (task:{id}:artifacts): your plan (kind plan, needed before EXECUTE), a deliverable named in your packet, a report or evidence.",
  input: z.strictObject({
    name: identifier("artifact name"),
    kind: z.enum(["plan", "deliverable", "report", "evidence"]),
    content: jsonValue,
    task_id: taskId.optional(),
  }),
  annotations: { title: "Record artifact", readOnlyHint: false, idempotentHint: true },
  phases: ["PLAN", "EXECUTE", "VERIFY", "PACKAGE"],
  handler: (input, ctx) => ctx.governance.recordArtifact(ctx.caller, input),
});
