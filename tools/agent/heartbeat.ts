import { z } from "zod";
import { defineTool } from "../define.js";
import { isoTime } from "../outputs.js";

export const heartbeat = defineTool({
  name: "heartbeat",
  tier: 0,
  description: "Tell the gateway you are alive; agents silent for 30 s count as STUCK.",
  input: z.strictObject({}),
  output: z.strictObject({ agent_id: z.string(), at: isoTime }),
  annotations: { title: "Heartbeat", readOnlyHint: false, idempotentHint: true },
  phases: "any",
  handler: (_input, ctx) => ctx.coordination.heartbeat(ctx.caller),
});
