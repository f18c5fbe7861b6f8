import { z } from "zod";
import { defineTool } from "../define.js";
import { identifier, shortText } from "../fields.js";

export const errorReport = defineTool({
  name: "error_report",
  tier: 0,
  description:
    "Report an error you met (a model failure, a failed step). It counts against your error budget like a refused call; reaching a limit revokes you and leaves a handoff. Pass recovered: true for a failure a retry overcame, or dependency (model, state, authority, ledger) for a failure caused by that dependency's outage: either is recorded but not charged.",
  input: z.strictObject({
    error_type: identifier("error type").describe(
      "A stable name for the kind of error (e.g. model_malformed_output): repeats of one type count toward max_same_error_repeats.",
    ),
    message: shortText(2000).describe("What went wrong."),
    recovered: z
      .boolean()
      .optional()
      .describe(
        "A failure a retry then overcame: recorded on the ledger, not charged to the budget.",
      ),
    dependency: z
      .enum(["model", "state", "authority", "ledger"])
      .optional()
      .describe(
        "An outage of this dependency caused it (down, timing out, rate limiting): not your fault, so recorded, not charged.",
      ),
  }),
  output: z.looseObject({
    counters: z.looseObject({
      total_errors: z.number().int(),
      procedure_violations: z.number().int(),
      by_type: z.record(z.string(), z.number()),
    }),
    revoked: z.boolean(),
    charged: z.boolean(),
  }),
  annotations: { title: "Report error", readOnlyHint: false, idempotentHint: false },
  phases: "any",
  handler: (input, ctx) => ctx.governance.reportError(ctx.caller, input),
});
