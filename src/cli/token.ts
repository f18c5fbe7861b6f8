// agov token issue|revoke|list: tokens of the configured authority, never printed after issue.
import {
  isTier,
  MAX_TOKEN_TTL_MS,
  MIN_TOKEN_TTL_MS,
  TIER_NAMES,
  TIER_TTL_MS,
  type Tier,
} from "../authority/index.js";
import { formatDuration, parseDuration } from "../util/duration.js";
import { agentOption, intOption, type Parsed, required, UsageError } from "./args.js";
import type { TOKEN_ISSUE, TOKEN_LIST, TOKEN_REVOKE } from "./commands.js";
import type { CliContext } from "./context.js";

export async function issue(
  { values }: Parsed<typeof TOKEN_ISSUE>,
  ctx: CliContext,
): Promise<number> {
  const agent = agentOption(values.agent, "token issue");
  const tier = intOption(required(values.tier, "tier", "token issue"), "tier", "token issue", 0, 4);
  if (!isTier(tier)) throw new UsageError("token issue: --tier must be 0-4");
  const ttl = values.ttl === undefined ? undefined : ttlOption(values.ttl);
  const rt = await ctx.runtime();
  const t = await rt.authority.issue({
    agent_id: agent,
    tier,
    ...(ttl === undefined ? {} : { ttl_ms: ttl }),
  });
  // The row is about the agent (its tokens and tier are on its record); who issued is in detail.
  await rt.ledger.record(
    {
      kind: "token",
      agent_id: agent,
      tier,
      action: `token issue: ${agent} at T${tier} (token id ${t.token_id}) by operator:cli`,
      decision: "allow",
      detail: { op: "issue", by: "operator:cli", token_id: t.token_id },
    },
    { success: true },
  );
  const expires_at = isoTime(t.expires_at);
  if (values.json)
    ctx.out(JSON.stringify({ token: t.token, agent_id: t.agent_id, tier: t.tier, expires_at }));
  else {
    ctx.out(t.token);
    ctx.err(
      `Issued for ${agent} at T${tier} (${TIER_NAMES[tier as Tier]}), expires ${expires_at} (${formatDuration(ttl ?? TIER_TTL_MS[tier as Tier])}). It is shown only once.`,
    );
  }
  return 0;
}

/** A token lifetime: a duration from 1 s to 366 days (bounded so every expiry is a date). */
function ttlOption(text: string): number {
  const ttl = parseDuration(text);
  if (ttl === undefined)
    throw new UsageError(
      `token issue: --ttl must be a duration such as 90s, 30m or 1h (got "${text}")`,
    );
  if (ttl < MIN_TOKEN_TTL_MS || ttl > MAX_TOKEN_TTL_MS)
    throw new UsageError(
      `token issue: --ttl must be from ${formatDuration(MIN_TOKEN_TTL_MS)} to ${formatDuration(MAX_TOKEN_TTL_MS)}, got "${text}"`,
    );
  return ttl;
}

export async function revoke(
  { values }: Parsed<typeof TOKEN_REVOKE>,
  ctx: CliContext,
): Promise<number> {
  const agent = agentOption(values.agent, "token revoke");
  const reason = values.reason?.trim() || "revoked with agov token revoke";
  if (reason.length > 1000)
    throw new UsageError("token revoke: --reason is at most 1000 characters");
  const rt = await ctx.runtime();
  // The same path as agent_revoke: the run, its locks, the handoff and every session, not only
  // the tokens.
  const r = await rt.governance.revoke({
    agent_id: agent,
    reason: "MANUAL",
    details: reason,
    revoked_by: "operator:cli",
  });
  if (r.in_progress) {
    ctx.err(`${agent} is being revoked by another process right now; run this again to check.`);
    return 1;
  }
  if (!r.revoked) {
    ctx.err(`${agent} has no live token and no run or packet: nothing to revoke.`);
    return 1;
  }
  const run =
    r.run_id && r.handoff
      ? `; its run ${r.run_id} on task ${r.handoff.task_id} is revoked and a handoff left`
      : "";
  ctx.err(`Revoked ${r.tokens_revoked} live token(s) of ${agent}${run}.`);
  return 0;
}

export async function list(
  { values }: Parsed<typeof TOKEN_LIST>,
  ctx: CliContext,
): Promise<number> {
  const rt = await ctx.runtime();
  const now = rt.clock.now();
  const rows = (await rt.authority.list()).map((t) => ({
    agent_id: t.agent_id,
    tier: t.tier,
    token_id: t.token_id,
    issued_at: isoTime(t.issued_at),
    expires_at: isoTime(t.expires_at),
    status: t.revoked ? "revoked" : t.expires_at <= now ? "expired" : "live",
  }));
  if (values.json) ctx.out(JSON.stringify(rows, null, 2));
  else if (rows.length === 0)
    ctx.out("No tokens yet. Issue one with: agov token issue --agent <id> --tier <0-4>");
  else {
    ctx.out(
      table(
        ["AGENT", "TIER", "STATUS", "EXPIRES", "TOKEN ID"],
        rows.map((r) => [
          r.agent_id,
          `T${r.tier} ${TIER_NAMES[r.tier]}`,
          r.status,
          r.expires_at,
          r.token_id,
        ]),
      ),
    );
  }
  return 0;
}

/** Any stored instant as ISO time: one past what a Date holds (an older agov's) is clamped to it. */
function isoTime(ms: number): string {
  if (!Number.isFinite(ms)) return ms > 0 ? "never" : "unknown";
  return new Date(Math.min(Math.max(ms, -8.64e15), 8.64e15)).toISOString();
}

export function table(head: string[], rows: string[][]): string {
  const widths = head.map((h, i) => Math.max(h.length, ...rows.map((r) => (r[i] ?? "").length)));
  const line = (cells: string[]) =>
    cells
      .map((c, i) => c.padEnd(widths[i] ?? 0))
      .join("  ")
      .trimEnd();
  return [line(head), ...rows.map(line)].join("\n");
}
