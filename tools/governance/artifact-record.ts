import { z } from "zod";
import { defineTool } from "../define.js";
import { identifier, jsonValue, taskId } from "../fields.js";
import { iso, isoTime } from "../outputs.js";

export const artifactRecord = defineTool({
  name: "artifact_record",
  tier: 0,
  description:
    "Record an artifact of your task (task:{id}:artifacts): your plan (kind plan, needed before EXECUTE), a deliverable named in your packet, a report or evidence.",
  input: z.strictObject({
    name: identifier("artifact name").describe(
      "The artifact's name (a deliverable's name as your packet lists it).",
    ),
    kind: z
      .enum(["plan", "deliverable", "report", "evidence"])
      .describe("What it is: your plan (before EXECUTE), a deliverable, a report or evidence."),
    content: jsonValue.describe("The artifact's content: any JSON value."),
    task_id: taskId.optional().describe("The task it belongs to (default: your packet's task)."),
  }),
  output: z.looseObject({
    task_id: z.string(),
    name: z.string(),
    kind: z.string(),
    saved_at: isoTime,
  }),
  annotations: { title: "Record artifact", readOnlyHint: false, idempotentHint: true },
  phases: ["PLAN", "EXECUTE", "VERIFY", "PACKAGE"],
  async handler(input, ctx) {
    const r = await ctx.governance.recordArtifact(ctx.caller, input);
    return { ...r, saved_at: iso(r.saved_at) };
  },
});
