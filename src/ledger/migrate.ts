// Copying an embedded ledger into an empty PostgreSQL one, rows as they are: same ids, same hashes,
// so the chain (and every anchor already kept) carries over. The source must verify before
// anything is copied, and the copy must verify, to the same tip, before the copy is called done.
import type { Clock } from "../util/clock.js";
import { AgovError } from "../util/errors.js";
import { GENESIS } from "./chain.js";
import type { ActionRow } from "./index.js";
import { createPostgresLedger } from "./postgres.js";
import { insertRows } from "./postgres-append.js";
import { describeDb, openPool } from "./postgres-db.js";
import { CHAIN_LOCK, LOCK_CLASS } from "./postgres-schema.js";
import { createSqliteLedger } from "./sqlite.js";

export interface MigrateOptions {
  home: string;
  url: string;
  clock: Clock;
  key?: Buffer;
  keyFile?: string;
  /** Rows per transaction. */
  page?: number;
}

export async function migrateToPostgres(
  opts: MigrateOptions,
): Promise<{ rows: number; tip: string | null; target: string }> {
  const keyed = {
    ...(opts.key ? { key: opts.key } : {}),
    ...(opts.keyFile ? { keyFile: opts.keyFile } : {}),
  };
  const source = createSqliteLedger({ home: opts.home, clock: opts.clock, ...keyed });
  const pgOpts = { url: opts.url, home: opts.home, clock: opts.clock, ...keyed };
  try {
    // Opening it creates the schema and checks (or records) that it is chained with this key.
    const empty = await createPostgresLedger(pgOpts);
    const existing = await empty.count().finally(() => empty.close());
    if (existing > 0)
      throw new AgovError(
        "CONFLICT",
        `the PostgreSQL ledger ${describeDb(opts.url)} already has ${existing} row(s); migrate copies into an empty one only`,
      );
    const before = await source.verify();
    if (!before.ok)
      throw new AgovError(
        "CONFLICT",
        `the embedded ledger does not verify (${before.kind} at row ${before.bad_row}: ${before.reason}); nothing was copied`,
      );
    const db = openPool(opts.url, { max: 1 });
    let copied = 0;
    try {
      for (let after = 0; ; ) {
        const rows = await source.query({
          after_id: after,
          newest_first: false,
          limit: opts.page ?? 5000,
        });
        if (rows.length === 0) break;
        if (rows[0]!.id <= after)
          throw new AgovError("CONFLICT", `the embedded ledger did not page past row ${after}`);
        await copyPage(db.pool, rows).catch((err: unknown) => {
          throw err instanceof AgovError ? err : db.unavailable("cannot be written", err);
        });
        copied += rows.length;
        after = rows[rows.length - 1]!.id;
      }
    } finally {
      await db.pool.end();
    }
    const target = await createPostgresLedger(pgOpts);
    try {
      const after = await target.verify();
      const [top] = await target.query({ limit: 1 });
      const [sourceTop] = await source.query({ limit: 1 });
      if (!after.ok || after.rows !== before.rows || top?.entry_hash !== sourceTop?.entry_hash)
        throw new AgovError(
          "CONFLICT",
          `the copy in ${db.name} does not verify to the embedded ledger's tip (${after.ok ? `${after.rows} of ${before.rows} rows` : after.reason})`,
        );
      return { rows: copied, tip: top?.entry_hash ?? null, target: db.name };
    } finally {
      await target.close();
    }
  } finally {
    await source.close();
  }
}

/** One page in one transaction, under the chain lock, only where it continues the copy's tip. */
async function copyPage(
  pool: ReturnType<typeof openPool>["pool"],
  rows: ActionRow[],
): Promise<void> {
  const client = await pool.connect();
  try {
    await client.query("BEGIN");
    await client.query("SELECT pg_advisory_xact_lock($1, $2)", [LOCK_CLASS, CHAIN_LOCK]);
    const t = await client.query<{ last_id: number; entry_hash: string }>(
      "SELECT last_id, entry_hash FROM ledger_tip WHERE one = 1",
    );
    const tip = { id: t.rows[0]?.last_id ?? 0, entry_hash: t.rows[0]?.entry_hash ?? GENESIS };
    const first = rows[0]!;
    if (first.id !== tip.id + 1 || first.prev_hash !== tip.entry_hash)
      throw new AgovError(
        "CONFLICT",
        `the PostgreSQL ledger was written to during the copy (its tip is row ${tip.id}, the next copied row is ${first.id}); start again on an empty database`,
      );
    const last = rows[rows.length - 1]!;
    await insertRows(client, rows as unknown as Record<string, unknown>[], {
      id: last.id,
      entry_hash: last.entry_hash,
    });
    await client.query("COMMIT");
    client.release();
  } catch (err) {
    await client.query("ROLLBACK").catch(() => {});
    client.release(err as Error);
    throw err;
  }
}
