import { z } from "zod";
import { defineTool } from "../define.js";
import { agentId, jsonValue, shortText, taskId } from "../fields.js";
import { isoTime, strings, withIsoCreated } from "../outputs.js";

export const proposalCreate = defineTool({
  name: "proposal_create",
  tier: 2,
  description:
    "Put a proposal to a vote on a task's blackboard (solutions section). It is accepted when every required voter has voted, accepts outnumber rejects, and no required voter rejected. Only the required voters' votes are counted; others are recorded and shown as uncounted, unless count_all_votes is true.",
  input: z.strictObject({
    task_id: taskId.describe("The task the proposal is for."),
    title: shortText(200).describe("A short title for the proposal."),
    content: jsonValue.describe("The proposal itself: any JSON value."),
    required_voters: z
      .array(agentId)
      .min(1)
      .max(20)
      .describe(
        "The agents whose votes decide it: accepted when all accept, rejected on a REJECT.",
      ),
    count_all_votes: z
      .boolean()
      .optional()
      .describe(
        "Also count votes from agents outside required_voters in the accepts and rejects (default false).",
      ),
  }),
  output: z.looseObject({
    id: z.string(),
    task_id: z.string(),
    title: z.string(),
    content: z.unknown(),
    author: z.string(),
    required_voters: strings,
    count_all_votes: z.boolean(),
    created_at: isoTime,
    status: z.literal("pending"),
  }),
  annotations: { title: "Create proposal", readOnlyHint: false, idempotentHint: false },
  handler: async (input, ctx) => withIsoCreated(await ctx.consensus.create(ctx.caller, input)),
});
