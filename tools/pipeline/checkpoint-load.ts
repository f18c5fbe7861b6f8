// checkpoint_load (T1): an agent loads the session state it saved.
import { z } from "zod";
import { defineTool } from "../define.js";
import { identifier } from "../fields.js";
import { isoTime } from "../outputs.js";

export const checkpointLoad = defineTool({
  name: "checkpoint_load",
  tier: 1,
  description:
    "Load session state you saved with checkpoint_save. found is false when you saved nothing under that key.",
  input: z.strictObject({
    key: identifier("checkpoint key").describe("The key you saved the checkpoint under."),
  }),
  output: z.strictObject({
    key: z.string(),
    found: z.boolean(),
    data: z.unknown().optional(),
    saved_at: isoTime.optional(),
  }),
  annotations: { title: "Load checkpoint", readOnlyHint: true, idempotentHint: true },
  handler: (input, ctx) => ctx.coordination.checkpoints.load(ctx.caller, input.key),
});
