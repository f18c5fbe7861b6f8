// The Redis connection kept in Vault (secret/data/services/dragonfly), as the seed has it:
// redis_url: vault:<path> makes agov read the url field with its own Vault identity at start-up.
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { defaults } from "../../src/config/index.js";
import { createRuntime } from "../../src/runtime.js";
import { type RedisServer, redisAvailable, startRedis } from "../support/redis-server.js";
import { type VaultEnv, vaultEnv } from "../support/vault-env.js";

describe.runIf(redisAvailable())("Redis credentials from Vault", () => {
  let env: VaultEnv;
  let redis: RedisServer;
  beforeAll(async () => {
    env = await vaultEnv();
    redis = await startRedis();
  });
  afterAll(async () => {
    await redis?.stop();
    await env?.close();
  });

  const config = async (path: string) => ({
    ...defaults("/tmp"),
    home: (await import("node:fs")).mkdtempSync(
      `${(await import("node:os")).tmpdir()}/agov-vault-redis-`,
    ),
    state: "redis" as const,
    redis_url: `vault:${path}`,
    authority: "vault" as const,
    vault_addr: env.addr,
    vault_token: await env.serverToken(),
  });

  it("connects to the Redis named in the Vault secret", async () => {
    const path = "secret/data/services/dragonfly";
    await env.http.write(path, { data: { url: redis.url } }, env.operatorToken);
    const rt = await createRuntime(await config(path));
    try {
      expect(rt.state.kind).toBe("redis");
      const lock = await rt.state.locks.acquire("from-vault", "test", 5000);
      expect(lock.acquired).toBe(true);
    } finally {
      await rt.close();
    }
  });

  it("stops start-up with a clear error when the secret is missing", async () => {
    await expect(createRuntime(await config("secret/data/services/nothing-here"))).rejects.toThrow(
      /secret\/data\/services\/nothing-here/,
    );
  });
});
