import { z } from "zod";
import { defineTool } from "../define.js";

const HEARTBEAT_TTL_MS = 60_000;

export const heartbeat = defineTool({
  name: "heartbeat",
  tier: 0,
  description: "Tell the gateway you are alive; agents silent for 30 s count as STUCK.",
  input: z.strictObject({}),
  annotations: { title: "Heartbeat", readOnlyHint: false, idempotentHint: true },
  phases: "any",
  async handler(_input, { caller, state, clock }) {
    await state.agents.heartbeat(caller.agent_id, HEARTBEAT_TTL_MS);
    return { agent_id: caller.agent_id, at: new Date(clock.now()).toISOString() };
  },
});
