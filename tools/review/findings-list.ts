// findings_list (T1): the architecture review's findings for one repository, as `agov review`
// left them: fingerprint, severity, where, first and last seen, how often, open or resolved.
// Findings from agov's own ledger are shown to T4 only, like the ledger's other agents' rows.
import { z } from "zod";
import { defineTool } from "../define.js";
import { iso, isoTime } from "../outputs.js";

const finding = z.looseObject({
  fingerprint: z.string().describe("Stable across runs: the same failure is the same finding"),
  kind: z.enum(["test", "lint", "command", "ledger"]),
  severity: z.enum(["low", "medium", "high"]),
  source: z.string().describe("The command that reported it, or `ledger`"),
  tool: z.string(),
  title: z.string(),
  message: z.string(),
  file: z.string().nullable(),
  test: z.string().nullable(),
  rule: z.string().nullable(),
  status: z.enum(["open", "resolved"]),
  first_seen: isoTime,
  last_seen: isoTime,
  resolved_at: isoTime.nullable(),
  occurrences: z.number().int().describe("Review runs that saw it"),
  count: z.number().int().describe("How many times the last run that saw it counted it"),
  evidence: z.array(z.string()).describe("Ledger row ids behind it"),
  run_id: z.string().describe("The review run that last saw or resolved it"),
});

export const findingsList = defineTool({
  name: "findings_list",
  tier: 1,
  description:
    "The architecture review's findings for a repository (written by `agov review <path>`): each failing test, lint error, unreadable failing command and repeated ledger error (these to T4 only), with its stable fingerprint, severity, place, first and last seen, how often, and whether it is open or resolved. Most recently changed first.",
  input: z.strictObject({
    target: z
      .string()
      .min(1)
      .max(4096)
      .describe("The repository as the review report names it (its `target`: an absolute path)."),
    status: z
      .enum(["open", "resolved"])
      .optional()
      .describe("Only findings with this status (default: both)."),
    limit: z
      .number()
      .int()
      .min(1)
      .max(1000)
      .optional()
      .describe("At most this many findings (default 200)."),
  }),
  output: z.strictObject({
    target: z.string(),
    findings: z.array(finding),
    more: z.boolean().describe("True when more findings match than were returned"),
    note: z
      .string()
      .optional()
      .describe("Below T4: how many findings from agov's ledger were left out (they are T4's)"),
  }),
  annotations: { title: "List findings", readOnlyHint: true, idempotentHint: true },
  async handler(input, ctx) {
    const all = await ctx.findings.list(input.target);
    const wanted = input.status ? all.filter((f) => f.status === input.status) : all;
    // A ledger finding names other agents, their refusals and ledger rows: the ledger is T4's to
    // show (audit_query shows a caller below T4 only its own rows).
    const matching = ctx.caller.tier >= 4 ? wanted : wanted.filter((f) => f.kind !== "ledger");
    const hidden = wanted.length - matching.length;
    const limit = input.limit ?? 200;
    return {
      ...(hidden > 0
        ? {
            note: `${hidden} finding${hidden === 1 ? "" : "s"} from agov's ledger left out: ledger findings are shown to T4 only`,
          }
        : {}),
      target: input.target,
      findings: matching.slice(0, limit).map((f) => ({
        ...f,
        first_seen: iso(f.first_seen),
        last_seen: iso(f.last_seen),
        resolved_at: f.resolved_at === null ? null : iso(f.resolved_at),
      })),
      more: matching.length > limit,
    };
  },
});
