import { z } from "zod";
import { defineTool } from "../define.js";
import { leaseId, resource, ttlMs } from "../fields.js";
import { lease, leaseOut } from "../outputs.js";

export const lockRefresh = defineTool({
  name: "lock_refresh",
  tier: 1,
  description: "Extend a lock you hold. A lease that expired or was taken over is refused.",
  input: z.strictObject({
    resource: resource.describe("The lock's name."),
    lease_id: leaseId.describe("Your lease's id, from lock_acquire."),
    ttl_ms: ttlMs.describe("The new time to live from now, in ms."),
  }),
  output: lease,
  annotations: {
    title: "Refresh lock",
    readOnlyHint: false,
    idempotentHint: true,
    destructiveHint: false,
  },
  // Extending a live lease again from now is harmless: a retry after an unknown outcome may rerun.
  rerunsWithKey: true,
  handler: async (input, ctx) => leaseOut(await ctx.coordination.locks.refresh(ctx.caller, input)),
});
