// The ledger's chain key held in Vault (ledger_key: vault:<path>): created once by the first agov
// to start, read by every later one, and never written beside the database it protects.
import { existsSync, mkdtempSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { defaults } from "../../src/config/index.js";
import { createRuntime } from "../../src/runtime.js";
import { type VaultEnv, vaultEnv } from "../support/vault-env.js";

describe("ledger key in Vault", () => {
  let env: VaultEnv;
  beforeAll(async () => {
    env = await vaultEnv();
  });
  afterAll(async () => env?.close());

  const config = async (home: string, path: string, token?: string) => ({
    ...defaults("/tmp"),
    home,
    authority: "vault" as const,
    vault_addr: env.addr,
    vault_token: token ?? (await env.serverToken()),
    ledger_key: `vault:${path}`,
  });

  it("creates the key in Vault on first start and keys the chain with it", async () => {
    const path = env.unique("secret/data/agov/ledger");
    const home = mkdtempSync(join(tmpdir(), "agov-vault-key-"));
    const first = await createRuntime(await config(home, path));
    await first.ledger.record(
      { kind: "operator", agent_id: "op", action: "x", decision: "allow" },
      { success: true },
    );
    await first.close();
    expect(existsSync(join(home, "keys", "ledger.key"))).toBe(false);
    const stored = await env.http.read(path, env.operatorToken);
    const key = (stored.data as { data: { key: string } }).data.key;
    expect(key).toMatch(/^[0-9a-f]{64}$/);

    // A second instance reads the same key: the chain verifies.
    const second = await createRuntime(await config(home, path));
    expect(await second.ledger.verify()).toMatchObject({ ok: true, rows: 1 });
    await second.close();

    // With another key (a swapped secret), the same history no longer verifies.
    const other = env.unique("secret/data/agov/other-ledger");
    const third = await createRuntime(await config(home, other, env.operatorToken));
    expect(await third.ledger.verify()).toMatchObject({ ok: false, kind: "key" });
    await third.close();
  });

  it("cannot be rewritten by the gateway's own Vault identity", async () => {
    const path = env.unique("secret/data/agov/ledger");
    const home = mkdtempSync(join(tmpdir(), "agov-vault-key-"));
    await (await createRuntime(await config(home, path))).close();
    await expect(
      env.http.write(path, { data: { key: "0".repeat(64) } }, await env.serverToken()),
    ).rejects.toThrow(/403|permission denied/);
  });
});
