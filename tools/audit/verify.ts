import { z } from "zod";
import { defineTool } from "../define.js";

export const auditVerify = defineTool({
  name: "audit_verify",
  tier: 4,
  phases: "any",
  description:
    "Check the audit ledger's keyed hash chain from its last verified checkpoint (as `agov audit verify` does), and move the checkpoint to the last good row: ok with the rows read, or the first bad row, what kind of tampering (modified, missing, rechained, truncated, wiped, key) and why.",
  input: z.strictObject({}),
  output: z.looseObject({
    ok: z.boolean(),
    scope: z.enum(["full", "incremental"]),
    checkpoint: z.number().int().nullable().describe("The row an incremental check started after"),
    rows: z.number().int().describe("Rows read"),
    last_row: z.number().int().optional().describe("When ok: the last row read"),
    bad_row: z.number().int().optional().describe("When not ok: the first row that fails"),
    kind: z.string().optional().describe("When not ok: the kind of tampering"),
    reason: z.string().optional().describe("When not ok: what was found"),
  }),
  // Not read-only: a good check moves the verified checkpoint forward (the ledger's rows are
  // untouched, and a second check finds what the first did).
  annotations: {
    title: "Verify audit chain",
    readOnlyHint: false,
    destructiveHint: false,
    idempotentHint: true,
  },
  handler: (_input, { audit }) => audit.verify(),
});
