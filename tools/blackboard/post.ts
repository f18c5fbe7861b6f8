import { z } from "zod";
import { defineTool } from "../define.js";
import { identifier, jsonValue, section, taskId } from "../fields.js";
import { blackboardEntry, entryOut } from "../outputs.js";

export const blackboardPost = defineTool({
  name: "blackboard_post",
  tier: 1,
  description:
    "Write one entry on a task's blackboard. expected_version must be the entry's current version (0 for a new key); a stale version is refused, so no concurrent update is lost.",
  input: z.strictObject({
    task_id: taskId.describe("The task whose blackboard to write."),
    section: section.describe("The section: problem, solutions, progress or consensus."),
    key: identifier("key").describe("The entry's key within the section."),
    value: jsonValue.describe("The entry's value: any JSON value."),
    expected_version: z
      .number()
      .int()
      .min(0)
      .describe(
        "The entry's current version (0 for a new key), from blackboard_read: a stale one is refused with CONFLICT, so no update is lost.",
      ),
  }),
  output: blackboardEntry,
  annotations: {
    title: "Post to blackboard",
    readOnlyHint: false,
    idempotentHint: false,
    destructiveHint: false,
  },
  phases: ["EXECUTE", "VERIFY", "REPORT"],
  rerunsWithKey: true,
  handler: async (input, ctx) =>
    entryOut(await ctx.coordination.blackboard.post(ctx.caller, input, ctx.idempotency_key)),
});
