// Service credentials kept in Vault (the seed keeps the DragonflyDB connection at
// secret/data/services/dragonfly): read once at start-up with the gateway's own Vault identity.
import type { Clock } from "../util/clock.js";
import { AgovError } from "../util/errors.js";
import { createVaultHttp, isVaultStatus } from "./vault-client.js";
import { createServerSession } from "./vault-session.js";

export async function readSecretUrl(opts: {
  addr: string;
  token?: string | undefined;
  roleId?: string | undefined;
  secretId?: string | undefined;
  clock: Clock;
  path: string;
}): Promise<string> {
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
    const body = await http.read(opts.path, await session.token()).catch((err: unknown) => {
      if (isVaultStatus(err, 403))
        throw new AgovError("DENIED", `Vault refused reading ${opts.path}: permission denied`);
      if (isVaultStatus(err, 404))
        throw new AgovError("NOT_FOUND", `Vault has no secret at ${opts.path}`);
      throw err;
    });
    // KV v2 answers data.data; KV v1 answers data.
    const data = (body.data ?? {}) as Record<string, unknown>;
    const fields = (typeof data.data === "object" && data.data ? data.data : data) as Record<
      string,
      unknown
    >;
    const url = fields.url;
    if (typeof url !== "string" || !/^[a-z][a-z0-9+.-]*:\/\/\S+$/i.test(url))
      throw new AgovError(
        "INVALID_INPUT",
        `Vault secret ${opts.path} has no url field holding a URL (such as redis://host:6379)`,
      );
    return url;
  } finally {
    session.close();
  }
}
