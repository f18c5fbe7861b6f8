import { z } from "zod";
import { defineTool } from "../define.js";
import { section, taskId } from "../fields.js";
import { blackboardEntry, entryOut } from "../outputs.js";

export const blackboardRead = defineTool({
  name: "blackboard_read",
  tier: 0,
  description:
    "Read a task's shared blackboard (problem, solutions, progress, consensus), with each entry's version.",
  input: z.strictObject({
    task_id: taskId.describe("The task whose blackboard to read."),
    section: section.optional().describe("Only this section (default: every section)."),
  }),
  output: z.strictObject({ task_id: z.string(), entries: z.array(blackboardEntry) }),
  annotations: { title: "Read blackboard", readOnlyHint: true, idempotentHint: true },
  async handler(input, ctx) {
    const r = await ctx.coordination.blackboard.read(input);
    return { ...r, entries: r.entries.map(entryOut) };
  },
});
