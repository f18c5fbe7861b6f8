// Appending to the fleet's one chain on PostgreSQL. Every instance extends the same chain: a
// transaction takes a transaction-scoped advisory lock, reads the tip in a statement of its own
// (so under READ COMMITTED it sees every commit made before the lock was granted), chains and
// inserts its rows, moves the tip and commits, which releases the lock.
import type pg from "pg";
import { type Chain, GENESIS, outcomeColumns } from "./chain.js";
import type { ActionOutcome } from "./index.js";
import { CHAIN_LOCK, LOCK_CLASS } from "./postgres-schema.js";
import type { Row } from "./rows.js";

/** Columns and their PostgreSQL types, in insert order. */
const COLUMNS = [
  ["id", "bigint"],
  ["timestamp", "text"],
  ["kind", "text"],
  ["agent_id", "text"],
  ["agent_version", "text"],
  ["tier", "int"],
  ["action", "text"],
  ["decision", "text"],
  ["confidence", "float8"],
  ["success", "int2"],
  ["error_type", "text"],
  ["error_reason", "text"],
  ["error_message", "text"],
  ["tool", "text"],
  ["session_id", "text"],
  ["args_digest", "text"],
  ["latency_us", "bigint"],
  ["detail", "text"],
  ["prev_hash", "text"],
  ["entry_hash", "text"],
  ["hash", "text"],
] as const;
const n = COLUMNS.length;

// One statement whatever the batch size: the rows as one array per column, and the tip moved.
const INSERT = `WITH added AS (
  INSERT INTO agent_actions (${COLUMNS.map(([c]) => c).join(", ")})
  SELECT * FROM unnest(${COLUMNS.map(([, t], i) => `$${i + 1}::${t}[]`).join(", ")}) RETURNING 1)
  INSERT INTO ledger_tip (one, last_id, entry_hash) VALUES (1, $${n + 1}, $${n + 2})
  ON CONFLICT (one) DO UPDATE SET last_id = excluded.last_id, entry_hash = excluded.entry_hash`;

const UNFINISHED =
  "SELECT id, entry_hash FROM agent_actions WHERE id = ANY($1::bigint[]) AND success IS NULL";
const OUTCOMES = `UPDATE agent_actions a SET success = u.success, error_type = u.error_type,
  error_reason = u.error_reason, error_message = u.error_message, latency_us = u.latency_us,
  hash = u.hash
  FROM unnest($1::bigint[], $2::int2[], $3::text[], $4::text[], $5::text[], $6::bigint[],
    $7::text[]) AS u(id, success, error_type, error_reason, error_message, latency_us, hash)
  WHERE a.id = u.id AND a.success IS NULL`;

export interface Tip {
  id: number;
  entry_hash: string;
}

/**
 * Writes one group commit: the new rows (chained after the fleet's tip) and the outcomes of begun
 * rows, in one transaction. Returns the ids given to the rows, in order, and the new tip.
 */
export async function appendBatch(
  client: pg.PoolClient,
  chain: Chain,
  rows: Row[],
  outcomes: Map<number, ActionOutcome>,
): Promise<{ ids: number[]; tip: Tip | null }> {
  await client.query("BEGIN");
  try {
    let tip: Tip | null = null;
    const ids: number[] = [];
    if (rows.length > 0) {
      await client.query("SELECT pg_advisory_xact_lock($1, $2)", [LOCK_CLASS, CHAIN_LOCK]);
      const last = await client.query<{ last_id: number; entry_hash: string }>(
        "SELECT last_id, entry_hash FROM ledger_tip WHERE one = 1",
      );
      let id = last.rows[0]?.last_id ?? 0;
      let prev = last.rows[0]?.entry_hash ?? GENESIS;
      const chained: Row[] = [];
      for (const r of rows) {
        id++;
        const row: Row = { ...r, id, prev_hash: prev };
        row.entry_hash = chain.entryHash(prev, row);
        row.hash = chain.rowHash(row.entry_hash as string, row);
        chained.push(row);
        prev = row.entry_hash as string;
        ids.push(id);
      }
      tip = { id, entry_hash: prev };
      await insertRows(client, chained, tip);
    }
    if (outcomes.size > 0) await writeOutcomes(client, chain, outcomes);
    await client.query("COMMIT");
    return { ids, tip };
  } catch (err) {
    await client.query("ROLLBACK").catch(() => {});
    throw err;
  }
}

/** Inserts rows already chained (ids, prev_hash, hashes set) and moves the tip to `tip`. */
export async function insertRows(client: pg.PoolClient, rows: Row[], tip: Tip): Promise<void> {
  const columns: unknown[][] = COLUMNS.map(() => []);
  for (const row of rows)
    for (const [i, [c]] of COLUMNS.entries()) columns[i]!.push(row[c] ?? null);
  await client.query(INSERT, [...columns, tip.id, tip.entry_hash]);
}

async function writeOutcomes(
  client: pg.PoolClient,
  chain: Chain,
  outcomes: Map<number, ActionOutcome>,
): Promise<void> {
  const open = await client.query<{ id: number; entry_hash: string }>(UNFINISHED, [
    [...outcomes.keys()],
  ]);
  if (open.rows.length === 0) return;
  const cols: unknown[][] = [[], [], [], [], [], [], []];
  for (const { id, entry_hash } of open.rows) {
    const o = outcomeColumns(outcomes.get(id));
    const values = [
      id,
      o.success,
      o.error_type,
      o.error_reason,
      o.error_message,
      o.latency_us,
      chain.rowHash(entry_hash, o),
    ];
    for (const [i, v] of values.entries()) cols[i]!.push(v);
  }
  await client.query(OUTCOMES, cols);
}
