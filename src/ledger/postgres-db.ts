// The PostgreSQL ledger's connection pool and schema: 64-bit ids read as numbers, durable commits
// whatever the server's default, errors that name the database but never the password.
import pg from "pg";
import { AgovError } from "../util/errors.js";
import { LOCK_CLASS, META_TABLE, MIGRATE_LOCK, PG_MIGRATIONS } from "./postgres-schema.js";

/** How long a session may sit inside a transaction (holding the chain lock) doing nothing. */
export const IDLE_IN_TRANSACTION_MS = 10_000;

export interface PgTarget {
  pool: pg.Pool;
  /** host:port/database, for messages and health. */
  name: string;
  /** An UNAVAILABLE error naming the database, with the password scrubbed from the cause. */
  unavailable(what: string, err: unknown): AgovError;
}

/** host:port/database of a postgres:// URL, without credentials. */
export function describeDb(url: string): string {
  try {
    const u = new URL(url);
    const db = decodeURIComponent(u.pathname.replace(/^\//, "")) || decodeURIComponent(u.username);
    return `${u.hostname || "localhost"}:${u.port || "5432"}/${db || "postgres"}`;
  } catch {
    return "postgres (URL not parseable)";
  }
}

export function openPool(url: string, opts: { max?: number } = {}): PgTarget {
  const types = new pg.TypeOverrides();
  // Ids and latencies are BIGINT; pg gives them as strings, the chain hashed them as numbers.
  types.setTypeParser(pg.types.builtins.INT8, (v: string) => Number(v));
  const pool = new pg.Pool({
    connectionString: url,
    max: opts.max ?? 4,
    connectionTimeoutMillis: 5000,
    application_name: "agov-ledger",
    // A row must be on disk before its call's effect runs, whatever the server's default says. An
    // instance that stops mid-transaction (frozen, partitioned) holds the chain's lock: the server
    // ends its session after a while, so the rest of the fleet is not stalled for good.
    options: `-c synchronous_commit=on -c idle_in_transaction_session_timeout=${IDLE_IN_TRANSACTION_MS}`,
    statement_timeout: 15_000,
    // A server that stops answering fails the call (UNAVAILABLE) instead of holding it forever.
    query_timeout: 20_000,
    keepAlive: true,
    types,
  });
  // An idle connection that drops emits here; unhandled, it would end the process. The next
  // query on the pool reconnects or reports the outage to its caller.
  pool.on("error", () => {});
  const name = describeDb(url);
  let password = "";
  try {
    password = decodeURIComponent(new URL(url).password);
  } catch {}
  return {
    pool,
    name,
    unavailable(what, err) {
      let msg = err instanceof Error ? err.message : String(err);
      if (password) msg = msg.split(password).join("***");
      return new AgovError("UNAVAILABLE", `audit ledger ${name} ${what}: ${msg}`);
    },
  };
}

/** Brings the schema up to date; instances starting together take turns. */
export async function migratePg(pool: pg.Pool): Promise<void> {
  const client = await pool.connect();
  try {
    await client.query("BEGIN");
    await client.query("SELECT pg_advisory_xact_lock($1, $2)", [LOCK_CLASS, MIGRATE_LOCK]);
    await client.query(META_TABLE);
    const r = await client.query<{ value: string }>(
      "SELECT value FROM ledger_meta WHERE key = 'schema_version'",
    );
    const version = Number(r.rows[0]?.value ?? 0);
    for (let v = version; v < PG_MIGRATIONS.length; v++) await client.query(PG_MIGRATIONS[v]!);
    if (version < PG_MIGRATIONS.length)
      await client.query(
        "INSERT INTO ledger_meta (key, value) VALUES ('schema_version', $1) ON CONFLICT (key) DO UPDATE SET value = excluded.value",
        [String(PG_MIGRATIONS.length)],
      );
    await client.query("COMMIT");
  } catch (err) {
    await client.query("ROLLBACK").catch(() => {});
    throw err;
  } finally {
    client.release();
  }
}
