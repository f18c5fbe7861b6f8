import { z } from "zod";
import { defineTool } from "../define.js";
import { resource, ttlMs } from "../fields.js";
import { lease, leaseOut } from "../outputs.js";

export const lockAcquire = defineTool({
  name: "lock_acquire",
  tier: 1,
  description:
    "Take a named lock with a TTL. Returns a lease id (needed to refresh or release) and a fencing token that grows with every new holder; pass it to whatever the lock protects.",
  input: z.strictObject({
    resource: resource.describe("The lock's name, e.g. db-migrations."),
    ttl_ms: ttlMs.describe("How long the lease lasts unless refreshed, in ms."),
  }),
  output: lease,
  annotations: {
    title: "Acquire lock",
    readOnlyHint: false,
    idempotentHint: false,
    destructiveHint: false,
  },
  rerunsWithKey: true,
  handler: async (input, ctx) =>
    leaseOut(await ctx.coordination.locks.acquire(ctx.caller, input, ctx.idempotency_key)),
});
