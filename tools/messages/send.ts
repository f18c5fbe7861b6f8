import { z } from "zod";
import { defineTool } from "../define.js";
import { agentId, jsonValue, messageType, taskId } from "../fields.js";
import { message, messageOut } from "../outputs.js";

export const messageSend = defineTool({
  name: "message_send",
  tier: 1,
  description:
    "Send a PROPOSAL, FEEDBACK, HANDOFF or INFO message to another agent on a task, or to ALL.",
  input: z.strictObject({
    task_id: taskId.describe("The task the message is about."),
    to: agentId.describe("The receiving agent's id, or ALL for every agent on the task."),
    type: messageType.describe("PROPOSAL, FEEDBACK, HANDOFF or INFO."),
    body: jsonValue.describe("The message: any JSON value."),
  }),
  output: message,
  annotations: {
    title: "Send message",
    readOnlyHint: false,
    idempotentHint: false,
    destructiveHint: false,
  },
  phases: ["EXECUTE", "VERIFY", "REPORT"],
  handler: async (input, ctx) =>
    messageOut(await ctx.coordination.messages.send(ctx.caller, input)),
});
