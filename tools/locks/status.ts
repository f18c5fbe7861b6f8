import { z } from "zod";
import { defineTool } from "../define.js";
import { resource } from "../fields.js";
import { isoTime, leaseOut } from "../outputs.js";

export const lockStatus = defineTool({
  name: "lock_status",
  tier: 0,
  description: "Whether a named lock is held, by whom, with which fencing token and until when.",
  input: z.strictObject({ resource: resource.describe("The lock's name.") }),
  output: z.strictObject({
    resource: z.string(),
    held: z.boolean(),
    holder: z.string().optional(),
    fence: z.number().int().optional(),
    expires_at: isoTime.optional(),
  }),
  annotations: { title: "Lock status", readOnlyHint: true, idempotentHint: true },
  async handler(input, ctx) {
    const s = await ctx.coordination.locks.status(input);
    return s.held ? leaseOut(s) : s;
  },
});
