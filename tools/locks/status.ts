import { z } from "zod";
import { defineTool } from "../define.js";
import { resource } from "../fields.js";

export const lockStatus = defineTool({
  name: "lock_status",
  tier: 0,
  description: "Whether a named lock is held, by whom, with which fencing token and until when.",
  input: z.strictObject({ resource: resource.describe("The lock's name.") }),
  annotations: { title: "Lock status", readOnlyHint: true, idempotentHint: true },
  handler: (input, ctx) => ctx.coordination.locks.status(input),
});
