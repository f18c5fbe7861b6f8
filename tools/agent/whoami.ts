import { z } from "zod";
import { TIER_NAMES } from "../../src/authority/index.js";
import { defineTool } from "../define.js";
import { isoTime, strings, tier } from "../outputs.js";

export const whoami = defineTool({
  name: "whoami",
  tier: 0,
  description:
    "Who you are to the gateway: agent id, trust tier, token expiry and the tools you may call.",
  input: z.strictObject({}),
  output: z.strictObject({
    agent_id: z.string(),
    tier,
    tier_name: z.string(),
    expires_at: isoTime,
    granted_tools: strings,
  }),
  annotations: { title: "Who am I", readOnlyHint: true, idempotentHint: true },
  async handler(_input, { caller, granted }) {
    return {
      agent_id: caller.agent_id,
      tier: caller.tier,
      tier_name: TIER_NAMES[caller.tier],
      expires_at: new Date(caller.expires_at).toISOString(),
      granted_tools: [...granted].sort(),
    };
  },
});
