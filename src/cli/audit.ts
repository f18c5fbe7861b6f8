// agov audit query|verify|anchor: read the ledger, check its keyed chain, export anchors.
import { readFileSync } from "node:fs";
import {
  type ActionQuery,
  type ActionRow,
  type Anchor,
  LEDGER_KINDS,
  type LedgerKind,
  type VerifyResult,
} from "../ledger/index.js";
import { parseDuration } from "../util/duration.js";
import { intOption, type Parsed, UsageError } from "./args.js";
import type { AUDIT_ANCHOR, AUDIT_QUERY, AUDIT_VERIFY } from "./commands.js";
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

/** --since as an ISO time, or a duration back from now (30m, 2h); undefined when not given. */
export function parseSince(value: string | undefined, command: string): string | undefined {
  if (value === undefined) return undefined;
  const ms = parseDuration(value);
  const iso = Date.parse(value);
  if (ms !== undefined && !/^\d+$/.test(value)) return new Date(Date.now() - ms).toISOString();
  if (!Number.isNaN(iso) && /^\d{4}-\d{2}-\d{2}/.test(value)) return new Date(iso).toISOString();
  throw new UsageError(
    `${command}: --since must be an ISO time (2026-01-31T12:00:00Z) or a duration (30m, 2h), got "${value}"`,
  );
}

/**
 * Caller text shown in a terminal: control characters (a newline or an ANSI escape in an error
 * message could forge rows or rewrite the screen) and bidirectional overrides are shown escaped.
 */
export function printable(text: string): string {
  return text.replace(
    // biome-ignore lint/suspicious/noControlCharactersInRegex: these are exactly what is escaped
    /[\u0000-\u001f\u007f-\u009f\u200e\u200f\u202a-\u202e\u2066-\u2069]/g,
    (c) => `\\u${c.charCodeAt(0).toString(16).padStart(4, "0")}`,
  );
}

export async function verify(
  { values }: Parsed<typeof AUDIT_VERIFY>,
  ctx: CliContext,
): Promise<number> {
  const anchors = (values.anchor ?? []).flatMap(readAnchors);
  const rt = await ctx.runtime();
  const result = await rt.ledger.verify({ anchors, full: values.full === true });
  const summary = verifySummary(result);
  if (values.json) ctx.out(JSON.stringify({ ...result, summary }));
  if (result.ok) {
    if (!values.json) ctx.out(summary);
    return 0;
  }
  ctx.err(summary);
  return 1;
}

/** One line an auditor can read: what was read (every row, or only those after the checkpoint). */
export function verifySummary(r: VerifyResult): string {
  const n = (x: number) => x.toLocaleString("en");
  const fallback = r.fallback ? `The verified checkpoint was set aside (${r.fallback}). ` : "";
  if (!r.ok) {
    const read =
      r.checkpoint === null
        ? ""
        : ` (reading the rows after the checkpoint at row ${n(r.checkpoint)}; rows up to it were verified before)`;
    return `${fallback}Ledger verification FAILED (${r.kind}) at row ${r.bad_row}: ${r.reason}${read}`;
  }
  const anchored =
    r.anchored_to === null ? "no anchor yet" : `anchored up to row ${n(r.anchored_to)}`;
  const read =
    r.checkpoint === null
      ? `verified all ${n(r.rows)} row(s)`
      : r.rows === 0
        ? `no rows after the checkpoint at row ${n(r.checkpoint)} (${n(r.last_row)} row(s) in all; --full re-reads them)`
        : `verified ${r.rows === 1 ? `row ${n(r.last_row)}` : `rows ${n(r.first_row)}–${n(r.last_row)}`} after the checkpoint at row ${n(r.checkpoint)} (--full re-reads all ${n(r.last_row)})`;
  return `${fallback}Ledger intact: ${read}, keyed hash chain verified, ${anchored}.`;
}

export async function anchor(_args: Parsed<typeof AUDIT_ANCHOR>, ctx: CliContext): Promise<number> {
  const rt = await ctx.runtime();
  const a = await rt.ledger.anchor();
  if (!a) {
    ctx.err("The ledger is empty: nothing to anchor yet.");
    return 1;
  }
  ctx.out(JSON.stringify(a));
  ctx.err(
    `Anchor of row ${a.row_id} signed with the ledger key. Keep it elsewhere; 'agov audit verify --anchor <file>' checks the ledger against it.`,
  );
  return 0;
}

/** Anchors from a file: one JSON object per line (as 'audit anchor' prints), or a JSON array. */
function readAnchors(file: string): Anchor[] {
  let text: string;
  try {
    text = readFileSync(file, "utf8");
  } catch (err) {
    throw new UsageError(`audit verify: --anchor ${file}: ${(err as Error).message}`);
  }
  const parsed: unknown[] = [];
  try {
    const trimmed = text.trim();
    if (trimmed.startsWith("[")) parsed.push(...(JSON.parse(trimmed) as unknown[]));
    else for (const line of trimmed.split("\n")) if (line.trim()) parsed.push(JSON.parse(line));
  } catch {
    throw new UsageError(
      `audit verify: --anchor ${file}: expected anchors as printed by 'agov audit anchor' (one JSON object per line)`,
    );
  }
  return parsed.map((a, i) => {
    const o = a as Partial<Anchor>;
    if (
      typeof o?.row_id !== "number" ||
      typeof o.entry_hash !== "string" ||
      typeof o.at !== "string" ||
      typeof o.mac !== "string"
    )
      throw new UsageError(
        `audit verify: --anchor ${file}: entry ${i + 1} is not an anchor (row_id, entry_hash, at, mac)`,
      );
    return o as Anchor;
  });
}
