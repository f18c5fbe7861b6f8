import { z } from "zod";
import { defineTool } from "../define.js";
import { taskId } from "../fields.js";
import { message, messageOut } from "../outputs.js";

export const messageRead = defineTool({
  name: "message_read",
  tier: 0,
  description:
    "Read messages sent to you (or to ALL) on a task, in order; pass the last id you saw as after_id to resume.",
  input: z.strictObject({
    task_id: taskId.describe("The task whose messages to read."),
    after_id: z
      .string()
      .min(1)
      .max(100)
      .optional()
      .describe("Only messages after this id (the last_id of your previous read)."),
    limit: z.number().int().min(1).max(500).optional().describe("At most this many messages."),
  }),
  output: z.strictObject({
    messages: z.array(message),
    last_id: z.string().nullable().describe("Pass as after_id to read only newer messages"),
  }),
  annotations: { title: "Read messages", readOnlyHint: true, idempotentHint: true },
  async handler(input, ctx) {
    const r = await ctx.coordination.messages.read(ctx.caller, input);
    return { ...r, messages: r.messages.map(messageOut) };
  },
});
