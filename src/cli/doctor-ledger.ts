// `agov doctor` on the PostgreSQL ledger: the database answers a login, and has the ledger's
// schema or can be given it on first start. The embedded ledger is checked with AGOV_HOME's files.
import type { Config } from "../config/index.js";
import type { Check } from "./doctor-checks.js";

const TIMEOUT_MS = 2000;

export async function ledgerCheck(config: Config): Promise<Check | null> {
  if (config.ledger !== "postgres" || !config.ledger_url) return null;
  if (config.ledger_url.startsWith("vault:"))
    return {
      check: "ledger",
      status: "ok",
      detail: `the PostgreSQL URL is read from Vault (${config.ledger_url.slice(6)}) at start; checked by 'agov serve'`,
    };
  // Loaded only when the ledger is on PostgreSQL, like the adapter itself.
  const [{ default: pg }, { describeDb }] = await Promise.all([
    import("pg"),
    import("../ledger/postgres-db.js"),
  ]);
  const where = describeDb(config.ledger_url);
  const client = new pg.Client({
    connectionString: config.ledger_url,
    connectionTimeoutMillis: TIMEOUT_MS,
    query_timeout: TIMEOUT_MS,
  });
  client.on("error", () => {});
  try {
    await client.connect();
    const r = await client.query<{ t: string | null }>("SELECT to_regclass('ledger_meta') AS t");
    return {
      check: "ledger",
      status: "ok",
      detail: r.rows[0]?.t
        ? `PostgreSQL ledger at ${where} answers`
        : `PostgreSQL at ${where} answers; agov creates the ledger's tables on first start`,
    };
  } catch (err) {
    let cause = (err as Error).message;
    const password = safePassword(config.ledger_url);
    if (password) cause = cause.split(password).join("***");
    return {
      check: "ledger",
      status: "fail",
      detail: `the PostgreSQL ledger at ${where} cannot be used (${cause})`,
      fix: `start PostgreSQL at ${where}, or fix AGOV_LEDGER_URL (or set AGOV_LEDGER=sqlite for the embedded ledger)`,
    };
  } finally {
    await client.end().catch(() => {});
  }
}

function safePassword(url: string): string {
  try {
    return decodeURIComponent(new URL(url).password);
  } catch {
    return "";
  }
}
