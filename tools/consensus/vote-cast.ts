import { z } from "zod";
import { VOTES } from "../../src/coordination/consensus.js";
import { defineTool } from "../define.js";
import { identifier, shortText, taskId } from "../fields.js";
import { proposalStatus, withIsoCreated } from "../outputs.js";

export const voteCast = defineTool({
  name: "vote_cast",
  tier: 1,
  description:
    "Vote ACCEPT, REJECT or ABSTAIN on a proposal, with your reasoning. Your latest vote stands until the proposal is decided. A vote from an agent outside the proposal's required_voters is recorded and listed as uncounted, unless the proposal counts all votes. The decision lands in the blackboard's consensus section and the audit ledger.",
  input: z.strictObject({
    task_id: taskId.describe("The task the proposal belongs to."),
    proposal_id: identifier("proposal id").describe(
      "The proposal's id, from proposal_create or consensus_status.",
    ),
    vote: z.enum(VOTES).describe("Your vote."),
    reasoning: shortText(2000).describe("Why you vote so, recorded with the vote."),
  }),
  output: proposalStatus.extend({ proposal_id: z.string(), recorded: z.string() }),
  annotations: { title: "Cast vote", readOnlyHint: false, idempotentHint: false },
  handler: async (input, ctx) => withIsoCreated(await ctx.consensus.vote(ctx.caller, input)),
});
