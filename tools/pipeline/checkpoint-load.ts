// checkpoint_load (T1): an agent loads the session state it saved.
import { z } from "zod";
import { defineTool } from "../define.js";
import { identifier } from "../fields.js";
import { sessionScope } from "./checkpoint-save.js";

export const checkpointLoad = defineTool({
  name: "checkpoint_load",
  tier: 1,
  description:
    "Load session state you saved with checkpoint_save. found is false when you saved nothing under that key.",
  input: z.strictObject({ key: identifier("checkpoint key") }),
  annotations: { title: "Load checkpoint", readOnlyHint: true, idempotentHint: true },
  async handler(input, ctx) {
    const hit = await ctx.state.checkpoints.load(sessionScope(ctx.caller.agent_id), input.key);
    if (!hit) return { key: input.key, found: false };
    return {
      key: input.key,
      found: true,
      data: hit.data,
      saved_at: new Date(hit.saved_at).toISOString(),
    };
  },
});
