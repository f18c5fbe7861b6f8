// agov audit query: the ledger's rows a page at a time, newest first, saying how many more match
// (and the cursor of the next page) so that no row is hidden; --all prints every one.
import {
  type ActionQuery,
  type ActionRow,
  LEDGER_KINDS,
  type LedgerKind,
} from "../ledger/index.js";
import { intOption, type Parsed, UsageError } from "./args.js";
import { parseSince, printable } from "./audit.js";
import type { AUDIT_QUERY } from "./commands.js";
import type { CliContext } from "./context.js";
import { table } from "./token.js";

export async function query(
  { values }: Parsed<typeof AUDIT_QUERY>,
  ctx: CliContext,
): Promise<number> {
  if (values.decision !== undefined && values.decision !== "allow" && values.decision !== "deny") {
    throw new UsageError(
      `audit query: --decision must be allow or deny (got "${values.decision}")`,
    );
  }
  if (values.kind !== undefined && !(LEDGER_KINDS as readonly string[]).includes(values.kind))
    throw new UsageError(
      `audit query: --kind must be one of ${LEDGER_KINDS.join(", ")} (got "${printable(values.kind)}")`,
    );
  const limit = intOption(values.limit, "limit", "audit query", 1, 100_000) ?? 50;
  const cursor = intOption(values.cursor, "cursor", "audit query", 1, Number.MAX_SAFE_INTEGER);
  if (cursor !== undefined && values.all)
    throw new UsageError("audit query: --cursor and --all go separately (--all reads every page)");
  const since = parseSince(values.since, "audit query");
  const rt = await ctx.runtime();
  const filter: ActionQuery = {
    ...(values.agent ? { agent_id: values.agent } : {}),
    ...(values.tool ? { tool: values.tool } : {}),
    ...(values.decision ? { decision: values.decision as "allow" | "deny" } : {}),
    ...(values.kind ? { kind: values.kind as LedgerKind } : {}),
    ...(values.session ? { session_id: values.session } : {}),
    ...(values.task ? { task_id: values.task } : {}),
    ...(since ? { since } : {}),
  };
  const page = (before?: number) =>
    rt.ledger.query({ ...filter, ...(before ? { before_id: before } : {}), limit });

  if (values.all) {
    // Page by page, so every matching row is printed however many there are.
    let before: number | undefined;
    let shown = 0;
    const all: ReturnType<typeof shape>[] = [];
    if (values.json) ctx.out("[");
    for (;;) {
      const rows = (await page(before)).map(shape);
      if (rows.length === 0) break;
      if (values.json)
        ctx.out(rows.map((r, i) => `${shown + i > 0 ? "," : ""}${JSON.stringify(r)}`).join("\n"));
      else all.push(...rows);
      shown += rows.length;
      before = rows[rows.length - 1]!.id;
      if (rows.length < limit) break;
    }
    if (values.json) ctx.out("]");
    else print(all, ctx);
    ctx.err(`${n(shown)} matching row(s), newest first.`);
    return 0;
  }

  const out = (await page(cursor)).map(shape);
  if (values.json) ctx.out(JSON.stringify(out, null, 2));
  else print(out, ctx);
  const last = out[out.length - 1];
  const more = last ? await rt.ledger.matching({ ...filter, before_id: last.id }) : 0;
  const total = cursor ? undefined : out.length + more;
  const of =
    total === undefined
      ? `${n(out.length)} matching row(s)`
      : `${n(out.length)} of ${n(total)} matching rows`;
  ctx.err(
    more > 0
      ? `${of} shown, newest first; ${n(more)} more: --cursor ${last!.id} for the next page, --all for every one.`
      : `${of} shown, newest first; no more.`,
  );
  return 0;
}

const n = (x: number) => x.toLocaleString("en");

/** A row as `audit query` prints it: the outcome as a boolean, the detail parsed. */
function shape(r: ActionRow) {
  return {
    id: r.id,
    timestamp: r.timestamp,
    kind: r.kind,
    agent_id: r.agent_id,
    agent_version: r.agent_version,
    tier: r.tier,
    tool: r.tool,
    action: r.action,
    decision: r.decision,
    success: r.success === null ? null : r.success === 1,
    error_type: r.error_type,
    error_reason: r.error_reason,
    error_message: r.error_message,
    detail: r.detail === null ? null : (JSON.parse(r.detail) as unknown),
    session_id: r.session_id,
    args_digest: r.args_digest,
    latency_us: r.latency_us,
  };
}

function print(out: ReturnType<typeof shape>[], ctx: CliContext): void {
  if (out.length === 0) {
    ctx.out("No matching rows.");
    return;
  }
  ctx.out(
    table(
      ["ID", "TIME", "AGENT", "TIER", "TOOL / ACTION", "DECISION", "OK", "ERROR"],
      out.map((r) =>
        [
          String(r.id),
          r.timestamp,
          r.agent_id,
          r.tier === null ? "-" : `T${r.tier}`,
          r.tool ?? r.action,
          r.decision,
          r.success === null ? "?" : r.success ? "yes" : "no",
          r.error_type
            ? `${r.error_type}${r.error_reason ? ` (${r.error_reason})` : ""}: ${(r.error_message ?? "").slice(0, 60)}`
            : (r.error_message ?? "").slice(0, 60),
        ].map(printable),
      ),
    ),
  );
}
