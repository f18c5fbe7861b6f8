import { z } from "zod";
import { defineTool } from "../define.js";
import { leaseId, resource } from "../fields.js";

export const lockRelease = defineTool({
  name: "lock_release",
  tier: 1,
  description: "Release a lock you hold. Only the holder of the current lease may release it.",
  input: z.strictObject({
    resource: resource.describe("The lock's name."),
    lease_id: leaseId.describe("Your lease's id, from lock_acquire."),
  }),
  output: z.looseObject({
    released: z.boolean(),
    resource: z.string(),
    already: z.boolean().optional(),
  }),
  annotations: {
    title: "Release lock",
    readOnlyHint: false,
    idempotentHint: false,
    destructiveHint: false,
  },
  phases: "any",
  rerunsWithKey: true,
  handler: (input, ctx) => ctx.coordination.locks.release(ctx.caller, input, ctx.idempotency_key),
});
