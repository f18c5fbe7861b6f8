import { z } from "zod";
import { defineTool } from "../define.js";
import { identifier, shortText } from "../fields.js";

export const errorReport = defineTool({
  name: "error_report",
  tier: 0,
  description:
    "Report an error you met (a model failure, a failed step). It counts against your error budget like a refused call; reaching a limit revokes you and leaves a handoff. Pass recovered: true for a failure a retry overcame, or dependency (model, state, authority, ledger) for a failure caused by that dependency's outage: either is recorded but not charged.",
  input: z.strictObject({
    error_type: identifier("error type"),
    message: shortText(2000),
    /** A failure that a retry then overcame: recorded on the ledger, not charged to the budget. */
    recovered: z.boolean().optional(),
    /** An outage of this dependency caused it (the endpoint down, timing out, rate limiting): not the agent's fault, so recorded, not charged. */
    dependency: z.enum(["model", "state", "authority", "ledger"]).optional(),
  }),
  annotations: { title: "Report error", readOnlyHint: false, idempotentHint: false },
  phases: "any",
  handler: (input, ctx) => ctx.governance.reportError(ctx.caller, input),
});
