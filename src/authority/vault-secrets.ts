// Secrets agov keeps in Vault, read once at start-up with the gateway's own Vault identity: the
// DragonflyDB/Redis connection (the seed keeps it at secret/data/services/dragonfly) and the
// ledger's chain key, so that the key never sits beside the database it protects.
import { randomBytes } from "node:crypto";
import type { Clock } from "../util/clock.js";
import { AgovError } from "../util/errors.js";
import { createVaultHttp, isVaultStatus, type VaultHttp } from "./vault-client.js";
import { createServerSession } from "./vault-session.js";

export interface VaultLogin {
  addr: string;
  token?: string | undefined;
  roleId?: string | undefined;
  secretId?: string | undefined;
  clock: Clock;
}

export async function readSecretUrl(opts: VaultLogin & { path: string }): Promise<string> {
  return withVault(opts, async (http, token) => {
    const url = (await readFields(http, token, opts.path)).url;
    if (typeof url !== "string" || !/^[a-z][a-z0-9+.-]*:\/\/\S+$/i.test(url))
      throw new AgovError(
        "INVALID_INPUT",
        `Vault secret ${opts.path} has no url field holding a URL (such as redis://host:6379)`,
      );
    return url;
  });
}

/**
 * The ledger key from the `key` field of a KV v2 secret. The first agov to start creates it with
 * check-and-set 0, so instances starting together agree on one key.
 */
export async function ledgerKeyFromVault(opts: VaultLogin & { path: string }): Promise<Buffer> {
  return withVault(opts, async (http, token) => {
    for (let attempt = 0; attempt < 3; attempt++) {
      let fields: Record<string, unknown> | null = null;
      try {
        fields = await readFields(http, token, opts.path);
      } catch (err) {
        if (!(err instanceof AgovError && err.code === "NOT_FOUND")) throw err;
      }
      if (fields) {
        const key = fields.key;
        if (typeof key !== "string" || !/^[0-9a-f]{64}$/.test(key))
          throw new AgovError(
            "INVALID_INPUT",
            `Vault secret ${opts.path} has no key field holding a 64-digit hex ledger key`,
          );
        return Buffer.from(key, "hex");
      }
      try {
        await http.write(
          opts.path,
          { options: { cas: 0 }, data: { key: randomBytes(32).toString("hex") } },
          token,
        );
      } catch (err) {
        // Another instance created it first (check-and-set lost): read theirs.
        if (isVaultStatus(err, 400)) continue;
        if (isVaultStatus(err, 403))
          throw new AgovError(
            "DENIED",
            `Vault refused creating the ledger key at ${opts.path}: agov's policy needs create on it`,
          );
        throw err;
      }
    }
    throw new AgovError("UNAVAILABLE", `the ledger key at ${opts.path} could not be read or made`);
  });
}

async function withVault<T>(
  opts: VaultLogin,
  fn: (http: VaultHttp, token: string) => Promise<T>,
): Promise<T> {
  const http = createVaultHttp(opts.addr, 5000);
  const session = createServerSession({
    http,
    clock: opts.clock,
    token: opts.token,
    roleId: opts.roleId,
    secretId: opts.secretId,
    checkEveryMs: 0,
  });
  try {
    return await fn(http, await session.token());
  } finally {
    session.close();
  }
}

async function readFields(
  http: VaultHttp,
  token: string,
  path: string,
): Promise<Record<string, unknown>> {
  const body = await http.read(path, token).catch((err: unknown) => {
    if (isVaultStatus(err, 403))
      throw new AgovError("DENIED", `Vault refused reading ${path}: permission denied`);
    if (isVaultStatus(err, 404)) throw new AgovError("NOT_FOUND", `Vault has no secret at ${path}`);
    throw err;
  });
  // KV v2 answers data.data; KV v1 answers data.
  const data = (body.data ?? {}) as Record<string, unknown>;
  return (typeof data.data === "object" && data.data ? data.data : data) as Record<string, unknown>;
}
