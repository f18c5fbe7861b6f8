import { z } from "zod";
import { defineTool } from "../define.js";
import { isoTime } from "../outputs.js";

export const health = defineTool({
  name: "health",
  tier: 0,
  description:
    "The gateway's dependencies (state store, authority, ledger, model endpoint when used): each up, degraded or down, since when, its last error and, when its circuit breaker is open, when it is tried again. Overall: ok, degraded or down.",
  input: z.strictObject({}),
  output: z.looseObject({
    status: z.enum(["ok", "degraded", "down"]),
    checked_at: isoTime,
    dependencies: z.array(
      z.looseObject({
        name: z.string(),
        kind: z.string(),
        critical: z.boolean(),
        status: z.enum(["up", "degraded", "down"]),
        since: isoTime,
      }),
    ),
  }),
  annotations: { title: "Health", readOnlyHint: true, idempotentHint: true },
  async handler(_input, { health }) {
    return health.report();
  },
});
