// checkpoint_save (T1): an agent saves its own session state, in a scope only it can read.
import { z } from "zod";
import { defineTool } from "../define.js";
import { identifier, jsonValue } from "../fields.js";
import { isoTime } from "../outputs.js";

export const checkpointSave = defineTool({
  name: "checkpoint_save",
  tier: 1,
  description:
    "Save your own session state under a key (any JSON, up to 64,000 characters), so that you, or your next session, can pick up where you left off with checkpoint_load. Scoped to you: no other agent can read it.",
  input: z.strictObject({
    key: identifier("checkpoint key").describe("A key of your choosing; saving again replaces it."),
    data: jsonValue.describe("What to keep: any JSON value."),
  }),
  output: z.strictObject({ key: z.string(), saved_at: isoTime }),
  annotations: { title: "Save checkpoint", readOnlyHint: false, idempotentHint: true },
  phases: "any",
  handler: (input, ctx) => ctx.coordination.checkpoints.save(ctx.caller, input.key, input.data),
});
