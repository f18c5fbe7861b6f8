import { z } from "zod";
import { defineTool } from "../define.js";
import { identifier, taskId } from "../fields.js";
import { proposalStatus, withIsoCreated } from "../outputs.js";

export const consensusStatus = defineTool({
  name: "consensus_status",
  tier: 0,
  description:
    "The proposals of a task (or one of them) with their votes and status: pending (who has not voted), accepted or rejected (and why), and whose votes are uncounted (not required voters).",
  input: z.strictObject({
    task_id: taskId.describe("The task whose proposals to show."),
    proposal_id: identifier("proposal id")
      .optional()
      .describe("Only this proposal (default: every proposal of the task)."),
  }),
  output: z.strictObject({ task_id: z.string(), proposals: z.array(proposalStatus) }),
  annotations: { title: "Consensus status", readOnlyHint: true, idempotentHint: true },
  async handler(input, ctx) {
    const r = await ctx.consensus.status(input);
    return { ...r, proposals: r.proposals.map(withIsoCreated) };
  },
});
