// Reading the PostgreSQL ledger: audit queries, the derived views, and verify, which reads the
// tip and every row in one REPEATABLE READ snapshot so that appends by other instances meanwhile
// neither show up half nor look like a truncation.
import type pg from "pg";
import type { Chain } from "./chain.js";
import type {
  ActionQuery,
  ActionRow,
  AgentMetrics,
  Anchor,
  Promotion,
  Revocation,
  VerifyResult,
  Violation,
} from "./index.js";
import type { AnchorStore } from "./key.js";
import type { Tip } from "./postgres-append.js";
import type { PgTarget } from "./postgres-db.js";
import { agentMetrics, type Row } from "./rows.js";
import { verifyChain } from "./verify.js";

const EQUALS = ["agent_id", "tool", "decision", "kind", "session_id"] as const;
const PAGE = 10_000;

/** The WHERE of an audit query, in $n parameters. */
function filters(q: ActionQuery): { where: string[]; params: unknown[] } {
  const where: string[] = [];
  const params: unknown[] = [];
  const add = (sql: (n: string) => string, value: unknown) => {
    params.push(value);
    where.push(sql(`$${params.length}`));
  };
  for (const key of EQUALS) if (q[key] !== undefined) add((n) => `${key} = ${n}`, q[key]);
  // The expression of the agent_actions_task index, word for word, so the planner uses it.
  if (q.task_id !== undefined) add((n) => `(detail::jsonb->>'task_id') = ${n}`, q.task_id);
  if (q.since) add((n) => `timestamp >= ${n}`, q.since);
  if (q.after_id !== undefined) add((n) => `id > ${n}`, q.after_id);
  if (q.before_id !== undefined) add((n) => `id < ${n}`, q.before_id);
  return { where, params };
}

export function createPgReads(db: PgTarget, chain: Chain, stores: AnchorStore[]) {
  const { pool } = db;
  async function rows<T>(sql: string, params: unknown[] = []): Promise<T[]> {
    try {
      return (await pool.query(sql, params)).rows as T[];
    } catch (err) {
      throw db.unavailable("cannot be read", err);
    }
  }
  const byAgent = async <T>(view: string, agentId: string | undefined) =>
    agentId
      ? rows<T>(`SELECT * FROM ${view} WHERE agent_id = $1 ORDER BY id`, [agentId])
      : rows<T>(`SELECT * FROM ${view} ORDER BY id`);

  return {
    async tip(): Promise<Tip | null> {
      const [t] = await rows<{ last_id: number; entry_hash: string }>(
        "SELECT last_id, entry_hash FROM ledger_tip WHERE one = 1",
      );
      return t && t.last_id > 0 ? { id: t.last_id, entry_hash: t.entry_hash } : null;
    },

    query(q: ActionQuery): Promise<ActionRow[]> {
      const { where, params } = filters(q);
      params.push(q.limit ?? 100);
      const order = q.newest_first === false ? "ASC" : "DESC";
      return rows<ActionRow>(
        `SELECT * FROM agent_actions ${where.length ? `WHERE ${where.join(" AND ")}` : ""} ORDER BY id ${order} LIMIT $${params.length}`,
        params,
      );
    },

    async matching(q: ActionQuery): Promise<number> {
      const { where, params } = filters(q);
      const [r] = await rows<{ n: string }>(
        `SELECT count(*) AS n FROM agent_actions ${where.length ? `WHERE ${where.join(" AND ")}` : ""}`,
        params,
      );
      return Number(r?.n ?? 0);
    },

    revocations: (agentId?: string) => byAgent<Revocation>("revocations", agentId),
    violations: (agentId?: string) => byAgent<Violation>("violations", agentId),
    promotions: (agentId?: string) => byAgent<Promotion>("promotions", agentId),

    async metrics(agentId: string): Promise<AgentMetrics> {
      const [m] = await rows<AgentMetrics>("SELECT * FROM agent_metrics WHERE agent_id = $1", [
        agentId,
      ]);
      return agentMetrics(agentId, m);
    },

    async verify(given: Anchor[]): Promise<VerifyResult> {
      const kept = (await Promise.all(stores.map((s) => s.read()))).flat();
      // The rows are read in pages by id into memory: verifyChain takes a synchronous iterable.
      const all: Row[] = [];
      let tip: { last_id: number; entry_hash: string } | null = null;
      let client: pg.PoolClient;
      try {
        client = await pool.connect();
      } catch (err) {
        throw db.unavailable("cannot be read", err);
      }
      try {
        await client.query("BEGIN ISOLATION LEVEL REPEATABLE READ READ ONLY");
        const t = await client.query("SELECT last_id, entry_hash FROM ledger_tip WHERE one = 1");
        tip = (t.rows[0] as typeof tip) ?? null;
        for (let after = 0; ; ) {
          const page = await client.query(
            "SELECT * FROM agent_actions WHERE id > $1 ORDER BY id LIMIT $2",
            [after, PAGE],
          );
          all.push(...(page.rows as Row[]));
          if (page.rows.length < PAGE) break;
          after = all[all.length - 1]!.id as number;
        }
        await client.query("COMMIT");
        client.release();
      } catch (err) {
        await client.query("ROLLBACK").catch(() => {});
        client.release(err as Error);
        throw db.unavailable("cannot be read", err);
      }
      const anchors = [...kept, ...given];
      return fullVerify(verifyChain({ chain, rows: all, anchors, tip }), anchors);
    },
  };
}

/**
 * The verifier's answer as the port gives it: always a full verify here (no verified checkpoint is
 * kept in PostgreSQL yet), anchored up to the latest anchor it checked.
 */
function fullVerify(check: ReturnType<typeof verifyChain>, anchors: Anchor[]): VerifyResult {
  const scope = { scope: "full" as const, checkpoint: null };
  const { end_hash: _end, ...rest } = check as typeof check & { end_hash?: string };
  if (!check.ok) return { ...scope, ...rest } as VerifyResult;
  const anchored = anchors.reduce<number | null>((m, a) => Math.max(m ?? 0, a.row_id), null);
  return { ...scope, ...rest, anchored_to: anchored } as VerifyResult;
}
