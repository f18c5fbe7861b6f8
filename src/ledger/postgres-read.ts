// Reading the PostgreSQL ledger: audit queries, the derived views, and verify, which reads the
// tip and every row in one REPEATABLE READ snapshot so that appends by other instances meanwhile
// neither show up half nor look like a truncation.
import type pg from "pg";
import type { Clock } from "../util/clock.js";
import type { Chain } from "./chain.js";
import {
  CHECKPOINT_KEY,
  concludeVerify,
  judgeCheckpoint,
  lookupsOf,
  parseCheckpoint,
  planVerify,
} from "./checkpoint.js";
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
import { type ChainCheck, type ChainWalk, walkChain } from "./verify.js";

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

export function createPgReads(db: PgTarget, chain: Chain, stores: AnchorStore[], clock: Clock) {
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

    /**
     * Reads the checkpoint, the tip and the rows after the checkpoint in one REPEATABLE READ
     * snapshot, a page at a time: memory holds one page whatever the ledger's size. A verify that
     * passes moves the signed checkpoint on (never back, when instances verify at once).
     */
    async verify(given: Anchor[], full: boolean): Promise<VerifyResult> {
      const kept = (await Promise.all(stores.map((s) => s.read()))).flat();
      const anchors = [...kept, ...given];
      let client: pg.PoolClient;
      try {
        client = await pool.connect();
      } catch (err) {
        throw db.unavailable("cannot be read", err);
      }
      let done: ReturnType<typeof concludeVerify>;
      try {
        await client.query("BEGIN ISOLATION LEVEL REPEATABLE READ READ ONLY");
        const one = async <T>(sql: string, params: unknown[]) =>
          (await client.query(sql, params)).rows[0] as T | undefined;
        const hashes = async (ids: number[]) =>
          new Map(
            ids.length
              ? (
                  await client.query<{ id: number; entry_hash: string }>(
                    "SELECT id, entry_hash FROM agent_actions WHERE id = ANY($1::bigint[])",
                    [ids],
                  )
                ).rows.map((r) => [Number(r.id), r.entry_hash] as const)
              : [],
          );
        const cp = parseCheckpoint(
          (
            await one<{ value: string }>("SELECT value FROM ledger_meta WHERE key = $1", [
              CHECKPOINT_KEY,
            ])
          )?.value,
        );
        const cpHash = cp ? (await hashes([cp.row_id])).get(cp.row_id) : undefined;
        const plan = planVerify(judgeCheckpoint(cp, chain, cpHash), full);
        const pinned = await hashes(lookupsOf(plan, anchors));
        const tip =
          (await one<{ last_id: number; entry_hash: string }>(
            "SELECT last_id, entry_hash FROM ledger_tip WHERE one = 1",
            [],
          )) ?? null;
        const walk = walkChain({
          chain,
          anchors,
          pins: plan.pins,
          tip,
          ...(plan.start ? { start: plan.start, entryHashOf: (id: number) => pinned.get(id) } : {}),
        });
        let check: ChainCheck | undefined = "feed" in walk ? undefined : walk;
        for (let after = plan.after; !check; ) {
          const page = (
            await client.query("SELECT * FROM agent_actions WHERE id > $1 ORDER BY id LIMIT $2", [
              after,
              PAGE,
            ])
          ).rows as Row[];
          const w = walk as ChainWalk;
          for (const row of page) {
            check = w.feed(row);
            if (check) break;
          }
          if (!check && page.length < PAGE) check = w.finish();
          after = (page.at(-1)?.id as number | undefined) ?? after;
        }
        await client.query("COMMIT");
        client.release();
        done = concludeVerify(check, plan, anchors, chain, clock);
      } catch (err) {
        await client.query("ROLLBACK").catch(() => {});
        client.release(err as Error);
        throw db.unavailable("cannot be read", err);
      }
      if (done.checkpoint) {
        // Only forward: an instance finishing an older verify later does not move it back.
        await pool
          .query(
            `INSERT INTO ledger_meta (key, value) VALUES ($1, $2) ON CONFLICT (key) DO UPDATE
               SET value = excluded.value
               WHERE CASE WHEN ledger_meta.value ~ '"row_id":[0-9]{1,15}[,}]'
                 THEN substring(ledger_meta.value from '"row_id":([0-9]{1,15})')::bigint < $3
                 ELSE true END`,
            [CHECKPOINT_KEY, JSON.stringify(done.checkpoint), done.checkpoint.row_id],
          )
          .catch((err) => {
            throw db.unavailable("cannot be written", err);
          });
      }
      return done.result;
    },
  };
}
