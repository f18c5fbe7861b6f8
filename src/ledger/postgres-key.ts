// Every instance of a fleet must chain with the same key, or the fleet's chain verifies nowhere.
// The database keeps a check value of the key (its MAC of a fixed text, which does not reveal it);
// an instance with another key, or none where the database was written with one, is refused.
import { AgovError } from "../util/errors.js";
import { type Chain, createChain, GENESIS } from "./chain.js";
import { loadKeyFile } from "./key.js";
import type { PgTarget } from "./postgres-db.js";

/** The key this instance chains with, once the database agrees it is the fleet's. */
export async function agreedKey(
  db: PgTarget,
  from: { key: Buffer } | { keyFile: string },
): Promise<Buffer> {
  const read = async () =>
    (
      await db.pool.query<{ value: string }>(
        "SELECT value FROM ledger_meta WHERE key = 'key_check'",
      )
    ).rows[0]?.value;
  let check = await read();
  const where = "key" in from ? "the ledger key from Vault" : `the ledger key ${from.keyFile}`;
  let key = "key" in from ? from.key : loadKeyFile(from.keyFile, false);
  if (!key && check)
    throw new AgovError(
      "UNAVAILABLE",
      `${where} is missing but the audit ledger ${db.name} was written with one; give this instance the fleet's key (agov will not make a new one over a keyed history)`,
    );
  key ??= loadKeyFile((from as { keyFile: string }).keyFile, true)!;
  const mine = keyCheck(createChain(key));
  if (!check) {
    // Instances starting together: the first check value written is the one all must match.
    await db.pool.query(
      "INSERT INTO ledger_meta (key, value) VALUES ('key_check', $1) ON CONFLICT (key) DO NOTHING",
      [mine],
    );
    check = await read();
  }
  if (check !== mine)
    throw new AgovError(
      "UNAVAILABLE",
      `the audit ledger ${db.name} was written with another key than ${where}: every instance of a fleet must use the same key (ledger_key: vault:<path>, or the same key file)`,
    );
  return key;
}

const keyCheck = (chain: Chain) =>
  chain.signAnchor({ row_id: 0, entry_hash: GENESIS, at: "agov ledger key check" }).mac;
