// agov audit query|verify: read the ledger and check its hash chain.
import { parseDuration } from "../util/duration.js";
import { intOption, parse, UsageError } from "./args.js";
import type { CliContext } from "./context.js";
import { table } from "./token.js";

export const AUDIT_HELP = `Usage:
  agov audit query [--agent <id>] [--tool <name>] [--decision allow|deny]
                   [--since <iso time|duration>] [--limit N] [--json]
      Rows of the audit ledger, newest first (default limit 50). --since 1h means the last hour.
  agov audit verify
      Check the hash chain: exit 0 when intact, 1 naming the first row that does not match.`;

export async function auditCommand(argv: string[], ctx: CliContext): Promise<number> {
  const [sub, ...rest] = argv;
  if (!sub || sub === "--help" || sub === "-h") {
    ctx.out(AUDIT_HELP);
    return sub ? 0 : 2;
  }
  if (sub === "query") return query(rest, ctx);
  if (sub === "verify") return verify(rest, ctx);
  throw new UsageError(`audit: unknown command "${sub}"; see 'agov audit --help'`);
}

async function query(argv: string[], ctx: CliContext): Promise<number> {
  const { values } = parse(
    argv,
    {
      agent: { type: "string" },
      tool: { type: "string" },
      decision: { type: "string" },
      since: { type: "string" },
      limit: { type: "string" },
      json: { type: "boolean" },
    },
    "audit query",
  );
  if (values.help) {
    ctx.out(AUDIT_HELP);
    return 0;
  }
  if (values.decision !== undefined && values.decision !== "allow" && values.decision !== "deny") {
    throw new UsageError(
      `audit query: --decision must be allow or deny (got "${values.decision}")`,
    );
  }
  const limit = intOption(values.limit, "limit", "audit query", 1, 100_000) ?? 50;
  let since: string | undefined;
  if (values.since !== undefined) {
    const ms = parseDuration(values.since);
    const iso = Date.parse(values.since);
    if (ms !== undefined && !/^\d+$/.test(values.since))
      since = new Date(Date.now() - ms).toISOString();
    else if (!Number.isNaN(iso) && /^\d{4}-\d{2}-\d{2}/.test(values.since))
      since = new Date(iso).toISOString();
    else
      throw new UsageError(
        `audit query: --since must be an ISO time (2026-01-31T12:00:00Z) or a duration (30m, 2h), got "${values.since}"`,
      );
  }
  const rt = await ctx.runtime();
  const rows = await rt.ledger.query({
    ...(values.agent ? { agent_id: values.agent } : {}),
    ...(values.tool ? { tool: values.tool } : {}),
    ...(values.decision ? { decision: values.decision as "allow" | "deny" } : {}),
    ...(since ? { since } : {}),
    limit,
  });
  const out = rows.map((r) => ({
    id: r.id,
    timestamp: r.timestamp,
    agent_id: r.agent_id,
    agent_version: r.agent_version,
    tier: r.tier,
    tool: r.tool,
    action: r.action,
    decision: r.decision,
    success: r.success === null ? null : r.success === 1,
    error_type: r.error_type,
    error_message: r.error_message,
    session_id: r.session_id,
    args_digest: r.args_digest,
    latency_us: r.latency_us,
  }));
  if (values.json) ctx.out(JSON.stringify(out, null, 2));
  else if (out.length === 0) ctx.out("No matching rows.");
  else {
    ctx.out(
      table(
        ["ID", "TIME", "AGENT", "TIER", "TOOL / ACTION", "DECISION", "OK", "ERROR"],
        out.map((r) => [
          String(r.id),
          r.timestamp,
          r.agent_id,
          r.tier === null ? "-" : `T${r.tier}`,
          r.tool ?? r.action,
          r.decision,
          r.success === null ? "…" : r.success ? "yes" : "no",
          r.error_type ? `${r.error_type}: ${(r.error_message ?? "").slice(0, 60)}` : "",
        ]),
      ),
    );
  }
  return 0;
}

async function verify(argv: string[], ctx: CliContext): Promise<number> {
  const { values } = parse(argv, { json: { type: "boolean" } }, "audit verify");
  if (values.help) {
    ctx.out(AUDIT_HELP);
    return 0;
  }
  const rt = await ctx.runtime();
  const result = await rt.ledger.verify();
  if (values.json) ctx.out(JSON.stringify(result));
  if (result.ok) {
    if (!values.json) ctx.out(`Ledger intact: ${result.rows} row(s), hash chain verified.`);
    return 0;
  }
  ctx.err(`Ledger verification FAILED at row ${result.bad_row}: ${result.reason}`);
  return 1;
}
