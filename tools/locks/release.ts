import { z } from "zod";
import { defineTool } from "../define.js";
import { leaseId, resource } from "../fields.js";

export const lockRelease = defineTool({
  name: "lock_release",
  tier: 1,
  description: "Release a lock you hold. Only the holder of the current lease may release it.",
  input: z.strictObject({ resource, lease_id: leaseId }),
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
