// The invariants checked after every scenario, as pure functions of what the scenario saw. Each
// answers ok, FAIL or n/a (nothing in this scenario exercises it) with a short detail; each can
// fail, and test/unit/chaos-invariants.test.ts feeds each a violating record to prove it.
import { type Cell, fail, na, ok } from "./cell.js";
import { argsDigest, type Evidence, type LedgerRow } from "./history.js";
import { checkFences, checkOneHolder } from "./invariants-locks.js";

export interface Invariant {
  id: string;
  title: string;
  check(ev: Evidence): Cell;
}

/** Tool-call rows that let a call through, grouped by agent, tool and argument digest. */
function allowedCalls(rows: LedgerRow[]): Map<string, LedgerRow[]> {
  const groups = new Map<string, LedgerRow[]>();
  for (const r of rows) {
    if (r.kind !== "tool_call" || r.decision !== "allow" || !r.tool) continue;
    const k = `${r.agent_id}\n${r.tool}\n${r.args_digest}`;
    groups.set(k, [...(groups.get(k) ?? []), r]);
  }
  return groups;
}
const opKey = (agent: string, tool: string, args: unknown) =>
  `${agent}\n${tool}\n${argsDigest(args)}`;

export function checkAcked(ev: Evidence): Cell {
  const acked = ev.ops.filter((o) => o.outcome === "ok");
  if (acked.length === 0) return na("no acknowledged calls");
  if (!ev.ledger) return fail("the ledger could not be read");
  const groups = allowedCalls(ev.ledger);
  const need = new Map<string, number>();
  for (const o of acked)
    need.set(opKey(o.agent, o.tool, o.args), (need.get(opKey(o.agent, o.tool, o.args)) ?? 0) + 1);
  const missing: string[] = [];
  for (const [k, n] of need) {
    const rows = (groups.get(k) ?? []).filter((r) => r.success !== false).length;
    if (rows < n)
      missing.push(`${k.split("\n").slice(0, 2).join(" ")}: ${n} acknowledged, ${rows} row(s)`);
  }
  if (missing.length)
    return fail(`acknowledged without a ledger row: ${missing.slice(0, 2).join("; ")}`);
  const posts = acked.filter((o) => o.tool === "blackboard_post");
  if (!ev.durable)
    return ok(`${acked.length} calls on the ledger; effects not promised without persistence`);
  if (posts.length === 0) return ok(`${acked.length} calls on the ledger`);
  if (!ev.board) return fail("the blackboard could not be read back");
  const lost = posts.filter((o) => {
    const e = ev.board?.find((b) => b.section === o.args.section && b.key === o.args.key);
    return (
      !e ||
      e.version !== o.data?.version ||
      JSON.stringify(e.value) !== JSON.stringify(o.args.value)
    );
  });
  if (lost.length)
    return fail(`${lost.length} acknowledged post(s) missing, e.g. ${String(lost[0]?.args.key)}`);
  return ok(`${acked.length} calls on the ledger, ${posts.length} posts read back`);
}

export function checkOutcomes(ev: Evidence): Cell {
  if (!ev.ledger) return fail("the ledger could not be read");
  const calls = ev.ledger.filter((r) => r.kind === "tool_call" && r.decision === "allow");
  if (calls.length === 0) return na("no calls on the ledger");
  const unknown = calls.filter((r) => r.success === null && r.error_type !== null).length;
  const silent = calls.filter((r) => r.success === null && r.error_type === null);
  if (silent.length && !ev.gatewayKilled)
    return fail(
      `${silent.length} row(s) never got an outcome (e.g. row ${silent[0]?.id}), though no server was killed`,
    );
  // A definite outcome must be the truth: a call recorded (or answered) as failed left no effect.
  const groups = allowedCalls(ev.ledger);
  const board = ev.board ?? [];
  for (const o of ev.ops.filter((x) => x.tool === "blackboard_post")) {
    const present = board.some(
      (b) => b.section === o.args.section && b.key === o.args.key && b.author === o.agent,
    );
    if (!present) continue;
    const rows = groups.get(opKey(o.agent, o.tool, o.args)) ?? [];
    if (rows.length > 0 && rows.every((r) => r.success === false))
      return fail(
        `post ${String(o.args.key)} exists, but its ledger row(s) say it failed (row ${rows[0]?.id})`,
      );
    if (o.outcome === "refused")
      return fail(
        `post ${String(o.args.key)} exists, but the client was told ${o.code} (nothing done)`,
      );
  }
  const acked = ev.ops.filter((o) => o.outcome === "ok");
  for (const o of acked) {
    const rows = groups.get(opKey(o.agent, o.tool, o.args)) ?? [];
    if (rows.length > 0 && rows.every((r) => r.success === false))
      return fail(`${o.tool} by ${o.agent} was acknowledged, but the ledger says it failed`);
  }
  const tail = silent.length ? `, ${silent.length} cut off by a kill` : "";
  return ok(`${calls.length} rows: ${unknown} marked unknown${tail}`);
}

export function checkVerify(ev: Evidence): Cell {
  if (!ev.verify) return fail("agov audit verify did not run");
  return ev.verify.ok ? ok(ev.verify.detail) : fail(ev.verify.detail);
}

export function checkStageOnce(ev: Evidence): Cell {
  if (ev.pipelineRuns.length === 0) return na("no pipeline in this scenario");
  if (!ev.ledger) return fail("the ledger could not be read");
  let stages = 0;
  for (const run of ev.pipelineRuns) {
    const re = new RegExp(`^${run.replace(/[.*+?^${}()|[\]\\]/g, "\\$&")}-(.+)-(\\d+)$`);
    const attempts = new Map<string, Set<number>>();
    const finished = new Map<string, number>();
    for (const r of ev.ledger) {
      const m = re.exec(r.agent_id);
      if (!m) continue;
      const [stage, n] = [m[1] as string, Number(m[2])];
      attempts.set(stage, (attempts.get(stage) ?? new Set()).add(n));
      const detail = r.detail as { compliant?: boolean } | null;
      if (r.kind === "run" && detail?.compliant === true)
        finished.set(stage, Math.min(finished.get(stage) ?? n, n));
    }
    for (const [stage, done] of finished) {
      const later = [...(attempts.get(stage) ?? [])].filter((n) => n > done);
      if (later.length)
        return fail(`${run} ${stage}: attempt ${later[0]} ran after attempt ${done} finished`);
    }
    stages += attempts.size;
  }
  return ok(`${ev.pipelineRuns.length} run(s), ${stages} stage(s), none run after finishing`);
}

export function checkRevoked(ev: Evidence): Cell {
  if (!ev.ledger) return fail("the ledger could not be read");
  const revokedAt = new Map<string, number>();
  for (const r of ev.ledger)
    if (r.kind === "revocation")
      revokedAt.set(r.agent_id, Math.min(revokedAt.get(r.agent_id) ?? r.id, r.id));
  const served = ev.ledger.filter((r) => {
    const at = revokedAt.get(r.agent_id);
    return r.kind === "tool_call" && r.decision === "allow" && at !== undefined && r.id > at;
  });
  if (served.length)
    return fail(
      `${served[0]?.agent_id} was served ${served[0]?.tool} after its revocation (row ${served[0]?.id})`,
    );
  const probe = ev.revokedProbes.find((p) => p.served > 0);
  if (probe) return fail(`revoked ${probe.agent} was answered ${probe.served} time(s)`);
  if (revokedAt.size === 0) return na("nobody was revoked");
  const tries = ev.revokedProbes.reduce((n, p) => n + p.refused, 0);
  return ok(`${revokedAt.size} revoked, ${tries} later call(s) refused`);
}

export function checkRecovered(ev: Evidence): Cell {
  const r = ev.recovery;
  if (!r) return na("no outage to recover from");
  if (r.kind === "not-recovered") return fail(r.detail);
  const s = (r.ms / 1000).toFixed(1);
  if (r.what) return ok(`${r.what} ${s} s`);
  return ok(
    r.restarted ? `restart was the fault; serving ${s} s after it` : `in ${s} s, no restart`,
  );
}

export const INVARIANTS: Invariant[] = [
  { id: "one-holder", title: "no two holders of a lock at once", check: checkOneHolder },
  { id: "fences", title: "fences strictly increasing per resource", check: checkFences },
  {
    id: "acked",
    title: "every acknowledged call has its ledger row and effect",
    check: checkAcked,
  },
  {
    id: "outcomes",
    title: "every ledger row has an outcome or is marked unknown",
    check: checkOutcomes,
  },
  { id: "verify", title: "agov audit verify passes", check: checkVerify },
  { id: "stage-once", title: "no finished stage executed twice", check: checkStageOnce },
  { id: "revoked", title: "no revoked agent served", check: checkRevoked },
  { id: "recovered", title: "the server recovered without a restart", check: checkRecovered },
];
