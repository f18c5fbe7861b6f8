import { z } from "zod";
import { defineTool } from "../define.js";
import { agentId, jsonValue, shortText, taskId } from "../fields.js";

export const proposalCreate = defineTool({
  name: "proposal_create",
  tier: 2,
  description:
    "Put a proposal to a vote on a task's blackboard (solutions section). It is accepted when every required voter has voted, accepts outnumber rejects, and no required voter rejected. Only the required voters' votes are counted; others are recorded and shown as uncounted, unless count_all_votes is true.",
  input: z.strictObject({
    task_id: taskId,
    title: shortText(200),
    content: jsonValue,
    required_voters: z.array(agentId).min(1).max(20),
    /** Opt in to counting votes from agents outside required_voters in accepts and rejects. */
    count_all_votes: z.boolean().optional(),
  }),
  annotations: { title: "Create proposal", readOnlyHint: false, idempotentHint: false },
  handler: (input, ctx) => ctx.consensus.create(ctx.caller, input),
});
