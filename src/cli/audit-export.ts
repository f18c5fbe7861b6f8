// agov audit export: every row of the ledger (or those since a time), oldest first, as JSON lines
// or CSV, read in pages by id so a large ledger is never held in memory. Rows are exported as
// chained (detail as its canonical JSON text, hashes included), so an export can be re-verified.
import type { ActionRow } from "../ledger/index.js";
import { type Parsed, UsageError } from "./args.js";
import { parseSince } from "./audit.js";
import type { AUDIT_EXPORT } from "./commands.js";
import type { CliContext } from "./context.js";

const PAGE = 5000;

/** The columns, in the order of the ledger's table. */
export const EXPORT_COLUMNS = [
  "id",
  "timestamp",
  "kind",
  "agent_id",
  "agent_version",
  "tier",
  "action",
  "decision",
  "confidence",
  "success",
  "error_type",
  "error_reason",
  "error_message",
  "tool",
  "session_id",
  "args_digest",
  "latency_us",
  "detail",
  "prev_hash",
  "entry_hash",
  "hash",
] as const satisfies readonly (keyof ActionRow)[];

export async function exportRows(
  { values }: Parsed<typeof AUDIT_EXPORT>,
  ctx: CliContext,
  page = PAGE,
): Promise<number> {
  const format = values.format;
  if (format !== "jsonl" && format !== "csv")
    throw new UsageError(
      `audit export: --format must be jsonl or csv (got ${format === undefined ? "nothing" : `"${format}"`})`,
    );
  const since = parseSince(values.since, "audit export");
  const rt = await ctx.runtime();
  if (format === "csv") ctx.out(EXPORT_COLUMNS.join(","));
  for (let after = 0; ; ) {
    const rows = await rt.ledger.query({
      after_id: after,
      newest_first: false,
      limit: page,
      ...(since ? { since } : {}),
    });
    // A page that does not move past `after` would repeat forever: refuse rather than loop.
    if (rows.length > 0 && rows[0]!.id <= after)
      throw new Error(`audit export: the ledger did not page past row ${after}`);
    if (rows.length > 0) ctx.out(rows.map(format === "csv" ? csvLine : jsonLine).join("\n"));
    if (rows.length < page) return 0;
    after = rows[rows.length - 1]!.id;
  }
}

const jsonLine = (row: ActionRow) =>
  JSON.stringify(Object.fromEntries(EXPORT_COLUMNS.map((c) => [c, row[c] ?? null])));

function csvLine(row: ActionRow): string {
  return EXPORT_COLUMNS.map((c) => csvCell(row[c] ?? null)).join(",");
}

/**
 * RFC 4180 quoting. Caller text that a spreadsheet would run as a formula (=, +, -, @, tab, CR at
 * its start) is prefixed with ' (OWASP's advice): an agent's error message must not execute in the
 * auditor's spreadsheet. Numbers are written as they are.
 */
export function csvCell(value: string | number | null): string {
  if (value === null) return "";
  if (typeof value === "number") return String(value);
  const text = /^[=+\-@\t\r]/.test(value) ? `'${value}` : value;
  return /[",\r\n]/.test(text) || text !== text.trim() ? `"${text.replace(/"/g, '""')}"` : text;
}
