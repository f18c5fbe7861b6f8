// The SQLite ledger. Rows are chained: entry_hash covers the row's call fields and the previous
// row's entry_hash; hash covers entry_hash and the outcome, so editing any column or deleting any
// row is detected by verify(). Appends take the write lock first (BEGIN IMMEDIATE) so that several
// processes on one file extend one chain.
import { join } from "node:path";
import type { Clock } from "../util/clock.js";
import { isoNow } from "../util/clock.js";
import { canonicalJson, sha256 } from "../util/json.js";
import { type Db, migrate, openDatabase } from "../util/sqlite.js";
import type {
  ActionEntry,
  ActionOutcome,
  ActionQuery,
  ActionRow,
  AgentMetrics,
  Ledger,
  VerifyResult,
} from "./index.js";
import { MIGRATIONS } from "./schema.js";

const GENESIS = "0".repeat(64);
const ENTRY_FIELDS = [
  "id",
  "timestamp",
  "agent_id",
  "agent_version",
  "tier",
  "action",
  "decision",
  "confidence",
  "tool",
  "session_id",
  "args_digest",
] as const;
const OUTCOME_FIELDS = ["success", "error_type", "error_message", "latency_us"] as const;

type Row = Record<string, unknown>;
const pick = (row: Row, fields: readonly string[]) =>
  Object.fromEntries(fields.map((f) => [f, row[f] ?? null]));

export function entryHash(prevHash: string, row: Row): string {
  return sha256(`${prevHash}\n${canonicalJson(pick(row, ENTRY_FIELDS))}`);
}
export function rowHash(entry: string, row: Row): string {
  return sha256(`${entry}\n${canonicalJson(pick(row, OUTCOME_FIELDS))}`);
}

export function createSqliteLedger(opts: { home?: string; file?: string; clock: Clock }): Ledger {
  const file = opts.file ?? join(opts.home ?? ".", "ledger.db");
  const db: Db = openDatabase(file);
  migrate(db, MIGRATIONS);
  const { clock } = opts;

  const tip = db.prepare("SELECT last_id, entry_hash FROM ledger_tip WHERE one = 1");
  const insert = db.prepare(`INSERT INTO agent_actions
    (id, timestamp, agent_id, agent_version, tier, action, decision, confidence, success, error_type,
     error_message, tool, session_id, args_digest, latency_us, prev_hash, entry_hash, hash)
    VALUES (@id, @timestamp, @agent_id, @agent_version, @tier, @action, @decision, @confidence, @success,
     @error_type, @error_message, @tool, @session_id, @args_digest, @latency_us, @prev_hash, @entry_hash, @hash)`);
  const setTip = db.prepare(
    "INSERT INTO ledger_tip (one, last_id, entry_hash) VALUES (1, @id, @entry_hash) ON CONFLICT(one) DO UPDATE SET last_id = @id, entry_hash = @entry_hash",
  );
  const getRow = db.prepare("SELECT * FROM agent_actions WHERE id = ?");
  const updateOutcome = db.prepare(
    "UPDATE agent_actions SET success = @success, error_type = @error_type, error_message = @error_message, latency_us = @latency_us, hash = @hash WHERE id = @id",
  );

  const appendTx = db.transaction((entry: ActionEntry, outcome: ActionOutcome | undefined) => {
    const last = tip.get() as { last_id: number; entry_hash: string } | undefined;
    const id = (last?.last_id ?? 0) + 1;
    const prev_hash = last?.entry_hash ?? GENESIS;
    const row: Row = {
      id,
      timestamp: isoNow(clock),
      agent_id: entry.agent_id,
      agent_version: entry.agent_version ?? null,
      tier: entry.tier ?? null,
      action: entry.action,
      decision: entry.decision,
      confidence: entry.confidence ?? null,
      tool: entry.tool ?? null,
      session_id: entry.session_id ?? null,
      args_digest: entry.args_digest ?? null,
      ...outcomeColumns(outcome),
      prev_hash,
    };
    row.entry_hash = entryHash(prev_hash, row);
    row.hash = rowHash(row.entry_hash as string, row);
    insert.run(row);
    setTip.run({ id, entry_hash: row.entry_hash });
    return id;
  });

  const completeTx = db.transaction((id: number, outcome: ActionOutcome) => {
    const row = getRow.get(id) as Row | undefined;
    if (!row) throw new Error(`ledger row ${id} does not exist`);
    const next = { ...row, ...outcomeColumns(outcome) };
    updateOutcome.run({
      id,
      ...outcomeColumns(outcome),
      hash: rowHash(row.entry_hash as string, next),
    });
  });

  const metricsGet = db.prepare("SELECT * FROM agent_metrics WHERE agent_id = ?");

  const ledger: Ledger = {
    append: (entry, outcome) => appendTx.immediate(entry, outcome),
    complete: (id, outcome) => completeTx.immediate(id, outcome),

    query(q: ActionQuery): ActionRow[] {
      const where: string[] = [];
      const params: Record<string, unknown> = {};
      if (q.agent_id) {
        where.push("agent_id = @agent_id");
        params.agent_id = q.agent_id;
      }
      if (q.tool) {
        where.push("tool = @tool");
        params.tool = q.tool;
      }
      if (q.decision) {
        where.push("decision = @decision");
        params.decision = q.decision;
      }
      if (q.since) {
        where.push("timestamp >= @since");
        params.since = q.since;
      }
      const order = q.newest_first === false ? "ASC" : "DESC";
      const sql = `SELECT * FROM agent_actions ${where.length ? `WHERE ${where.join(" AND ")}` : ""} ORDER BY id ${order} LIMIT @limit`;
      return db.prepare(sql).all({ ...params, limit: q.limit ?? 100 }) as ActionRow[];
    },

    verify(): VerifyResult {
      let prev = GENESIS;
      let expectedId = 1;
      let rows = 0;
      for (const raw of db.prepare("SELECT * FROM agent_actions ORDER BY id").iterate()) {
        const row = raw as Row;
        const id = row.id as number;
        rows++;
        if (id !== expectedId) {
          return { ok: false, rows, bad_row: expectedId, reason: `row ${expectedId} is missing` };
        }
        if (row.prev_hash !== prev) {
          return {
            ok: false,
            rows,
            bad_row: id,
            reason: `row ${id} does not follow row ${id - 1}`,
          };
        }
        const entry = entryHash(prev, row);
        if (row.entry_hash !== entry || row.hash !== rowHash(entry, row)) {
          return {
            ok: false,
            rows,
            bad_row: id,
            reason: `row ${id} was modified after it was written`,
          };
        }
        prev = entry;
        expectedId++;
      }
      const last = tip.get() as { last_id: number; entry_hash: string } | undefined;
      if (last && (last.last_id !== expectedId - 1 || last.entry_hash !== prev)) {
        const missing = expectedId;
        return { ok: false, rows, bad_row: missing, reason: `row ${missing} is missing` };
      }
      return { ok: true, rows };
    },

    count: () => (db.prepare("SELECT COUNT(*) AS n FROM agent_actions").get() as { n: number }).n,

    recordViolation(v) {
      db.prepare(
        "INSERT INTO violations (timestamp, agent_id, task_id, violation_type, severity, description, tool) VALUES (?, ?, ?, ?, ?, ?, ?)",
      ).run(
        isoNow(clock),
        v.agent_id,
        v.task_id ?? null,
        v.violation_type,
        v.severity,
        v.description,
        v.tool ?? null,
      );
    },
    violations: (agentId) => listTable(db, "violations", agentId) as never,
    recordRevocation(r) {
      db.prepare(
        "INSERT INTO revocations (timestamp, agent_id, task_id, reason_type, details, revoked_by) VALUES (?, ?, ?, ?, ?, ?)",
      ).run(isoNow(clock), r.agent_id, r.task_id ?? null, r.reason_type, r.details, r.revoked_by);
    },
    revocations: (agentId) => listTable(db, "revocations", agentId) as never,
    recordPromotion(p) {
      db.prepare(
        "INSERT INTO promotions (timestamp, agent_id, from_tier, to_tier, decision, reason, approved_by) VALUES (?, ?, ?, ?, ?, ?, ?)",
      ).run(
        isoNow(clock),
        p.agent_id,
        p.from_tier,
        p.to_tier,
        p.decision,
        p.reason,
        p.approved_by ?? null,
      );
    },
    promotions: (agentId) => listTable(db, "promotions", agentId) as never,

    metrics(agentId): AgentMetrics {
      return (
        (metricsGet.get(agentId) as AgentMetrics | undefined) ?? {
          agent_id: agentId,
          current_tier: null,
          total_runs: 0,
          compliant_runs: 0,
          consecutive_compliant: 0,
          last_active_at: null,
        }
      );
    },
    recordRun(agentId, tier, compliant) {
      db.prepare(
        `INSERT INTO agent_metrics (agent_id, current_tier, total_runs, compliant_runs, consecutive_compliant, last_active_at)
         VALUES (@agent_id, @tier, 1, @c, @c, @now)
         ON CONFLICT(agent_id) DO UPDATE SET current_tier = @tier, total_runs = total_runs + 1,
           compliant_runs = compliant_runs + @c,
           consecutive_compliant = CASE WHEN @c = 1 THEN consecutive_compliant + 1 ELSE 0 END,
           last_active_at = @now`,
      ).run({ agent_id: agentId, tier, c: compliant ? 1 : 0, now: isoNow(clock) });
      return ledger.metrics(agentId);
    },
    setMetricsTier(agentId, tier) {
      db.prepare(
        `INSERT INTO agent_metrics (agent_id, current_tier) VALUES (?, ?)
         ON CONFLICT(agent_id) DO UPDATE SET current_tier = excluded.current_tier`,
      ).run(agentId, tier);
    },
    close: () => db.close(),
  };
  return ledger;
}

function outcomeColumns(outcome: ActionOutcome | undefined): Row {
  if (!outcome) return { success: null, error_type: null, error_message: null, latency_us: null };
  return {
    success: outcome.success ? 1 : 0,
    error_type: outcome.error_type ?? null,
    error_message: outcome.error_message ?? null,
    latency_us: outcome.latency_us ?? null,
  };
}

function listTable(db: Db, table: string, agentId?: string): unknown[] {
  return agentId
    ? db.prepare(`SELECT * FROM ${table} WHERE agent_id = ? ORDER BY id`).all(agentId)
    : db.prepare(`SELECT * FROM ${table} ORDER BY id`).all();
}
