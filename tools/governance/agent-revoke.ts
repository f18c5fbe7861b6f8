import { z } from "zod";
import { defineTool } from "../define.js";
import { agentId, shortText } from "../fields.js";
import { handoff } from "../outputs.js";

export const agentRevoke = defineTool({
  name: "agent_revoke",
  tier: 4,
  description:
    "Revoke an agent by hand, with a reason: its tokens stop working at once, its run is marked revoked (once per run), its locks are released, a handoff is written for its task and its sessions are told. Revoking again revokes any token issued since. Returns what was revoked: revoked (false when there was nothing: no live token, run or packet), run_id, tokens_revoked and the handoff.",
  input: z.strictObject({
    agent_id: agentId.describe("The agent to revoke."),
    reason: shortText(1000).describe("Why, recorded on the ledger and in the handoff."),
  }),
  output: z.looseObject({
    agent_id: z.string(),
    revoked: z.boolean(),
    run_id: z.string().nullable(),
    tokens_revoked: z.number().int(),
    handoff: handoff.nullable(),
  }),
  annotations: { title: "Revoke agent", readOnlyHint: false, destructiveHint: true },
  phases: "any",
  handler: ({ agent_id, reason }, { caller, governance }) =>
    governance.revoke({
      agent_id,
      reason: "MANUAL",
      details: reason,
      revoked_by: caller.agent_id,
    }),
});
