// Reading the ledger (`agov audit query`, the audit tool): every filter is answered from an index,
// so a query stays in the milliseconds at a million rows however few or many rows match.
import type { Statement } from "better-sqlite3";
import type { Db } from "../util/sqlite.js";
import type { ActionQuery, ActionRow } from "./index.js";

/**
 * How many rows `since` may match for the query to collect them all from the time index and sort
 * their ids. Beyond it, enough rows match that walking ids newest first finds `limit` of them at
 * once; below it, that walk could read the whole table looking for the few there are.
 */
export const SINCE_FEW = 5000;

const EQUALS = ["agent_id", "tool", "decision", "kind", "session_id"] as const;

export interface LedgerQuery {
  run(q: ActionQuery): ActionRow[];
  /** How many rows match q's filters (limit aside). */
  count(q: ActionQuery): number;
  /** The statement `run` would use for q, and SQLite's plan for it (EXPLAIN QUERY PLAN). */
  explain(q: ActionQuery): { sql: string; plan: string[] };
}

export function createLedgerQuery(db: Db, opts: { sinceFew?: number } = {}): LedgerQuery {
  const sinceFew = opts.sinceFew ?? SINCE_FEW;
  const statements = new Map<string, Statement>();
  const prepare = (sql: string) => {
    let s = statements.get(sql);
    if (!s) {
      s = db.prepare(sql);
      statements.set(sql, s);
    }
    return s;
  };
  // Covering: reads at most sinceFew + 1 entries of the time index, never a row.
  const countSince = db
    .prepare(
      "SELECT count(*) FROM (SELECT 1 FROM agent_actions INDEXED BY agent_actions_time WHERE timestamp >= ? LIMIT ?)",
    )
    .pluck();

  function filters(q: ActionQuery) {
    const where: string[] = [];
    const params: Record<string, unknown> = {};
    for (const key of EQUALS) {
      if (q[key] === undefined) continue;
      where.push(`${key} = @${key}`);
      params[key] = q[key];
    }
    // The expression of the agent_actions_task index, word for word, so the planner uses it.
    if (q.task_id !== undefined) {
      where.push("(CASE WHEN json_valid(detail) THEN detail->>'task_id' END) = @task_id");
      params.task_id = q.task_id;
    }
    // Paging by id (audit export, ledger migrate): rows after the last one already read.
    if (q.after_id !== undefined) {
      where.push("id > @after_id");
      params.after_id = q.after_id;
    }
    // Paging newest first (audit query --cursor): rows before the last one shown.
    if (q.before_id !== undefined) {
      where.push("id < @before_id");
      params.before_id = q.before_id;
    }
    return { where, params };
  }

  function build(q: ActionQuery) {
    const { where, params } = filters(q);
    params.limit = q.limit ?? 100;
    const order = q.newest_first === false ? "ASC" : "DESC";
    if (q.since === undefined) return { sql: select(where, order), params };
    params.since = q.since;
    const few = (countSince.get(q.since, sinceFew + 1) as number) <= sinceFew;
    if (few) {
      // Timestamps follow ids only roughly (each process stamps its own rows), so the matching ids
      // are sorted rather than assumed in order; there are at most sinceFew of them.
      const inner = `SELECT id FROM agent_actions INDEXED BY agent_actions_time WHERE ${["timestamp >= @since", ...where].join(" AND ")} ORDER BY id ${order} LIMIT @limit`;
      return {
        sql: `SELECT * FROM agent_actions WHERE id IN (${inner}) ORDER BY id ${order}`,
        params,
      };
    }
    // `+` keeps the planner off the time index: many rows match, so ids in order find them soonest.
    return { sql: select(["+timestamp >= @since", ...where], order), params };
  }

  return {
    run(q) {
      const { sql, params } = build(q);
      return prepare(sql).all(params) as ActionRow[];
    },
    count(q) {
      const { where, params } = filters(q);
      if (q.since !== undefined) {
        where.push("timestamp >= @since");
        params.since = q.since;
      }
      const sql = `SELECT count(*) FROM agent_actions ${where.length ? `WHERE ${where.join(" AND ")}` : ""}`;
      return prepare(sql).pluck().get(params) as number;
    },
    explain(q) {
      const { sql, params } = build(q);
      const rows = db.prepare(`EXPLAIN QUERY PLAN ${sql}`).all(params) as Array<{ detail: string }>;
      return { sql, plan: rows.map((r) => r.detail) };
    },
  };
}

const select = (where: string[], order: string) =>
  `SELECT * FROM agent_actions ${where.length ? `WHERE ${where.join(" AND ")}` : ""} ORDER BY id ${order} LIMIT @limit`;
