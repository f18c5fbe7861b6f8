// agov audit verify|anchor: check the ledger's keyed chain, export anchors; and the helpers the
// audit commands share (--since, terminal-safe text). The query is audit-query.ts.
import { readFileSync } from "node:fs";
import type { Anchor, VerifyResult } from "../ledger/index.js";
import { parseDuration } from "../util/duration.js";
import { type Parsed, UsageError } from "./args.js";
import type { AUDIT_ANCHOR, AUDIT_VERIFY } from "./commands.js";
import type { CliContext } from "./context.js";

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
