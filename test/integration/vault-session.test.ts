// Vault lookups cached by the gateway (dropped by revocation events) and the gateway's own Vault
// token (AppRole login, renewal before expiry, a new login near max TTL).
import { mkdtempSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterEach, beforeEach, describe, expect, it } from "vitest";
import { agentLogin, createVaultAuthority } from "../../src/authority/vault.js";
import { createRole } from "../../src/authority/vault-admin.js";
import { defaults } from "../../src/config/index.js";
import { createRuntime } from "../../src/runtime.js";
import { createGateway } from "../../src/server/gateway.js";
import { TOOLS } from "../../tools/index.js";
import { REAL_VAULT, type VaultEnv, vaultEnv } from "../support/vault-env.js";

// Every test here moves the clock by minutes or hours, or reads the double's request log.
const describeDouble = describe.skipIf(REAL_VAULT);

let env: VaultEnv;
beforeEach(async () => {
  env = await vaultEnv();
});
afterEach(async () => env.close());

async function login(name: string, tier: 0 | 1) {
  const role = await createRole(env.http, env.operatorToken, { agentId: name, tier });
  return { id: name, role, ...(await env.login(role)) };
}

describeDouble("lookup cache", () => {
  it("reuses a lookup for cache_ttl_ms in the gateway, and drops an agent's on a revocation event from anywhere", async () => {
    const auth = createVaultAuthority({
      addr: env.addr,
      token: await env.serverToken(),
      clock: env.clock,
      renewCheckMs: 0,
    });
    const home = mkdtempSync(join(tmpdir(), "agov-vault-cache-"));
    const rt = await createRuntime(
      { ...defaults(home), home, log_level: "silent", cache_ttl_ms: 60_000 },
      { authority: auth, clock: env.clock },
    );
    const gateway = createGateway(rt, TOOLS);
    const alpha = await login("alpha", 1);
    const beta = await login("beta", 0);
    const lookups = (accessor: string) =>
      env.double!.requests.filter(
        (r) => r.path === "auth/token/lookup-self" && r.accessor === accessor,
      ).length;
    for (let i = 0; i < 2; i++) {
      await gateway.identify(alpha.token);
      await gateway.identify(beta.token);
    }
    expect([lookups(alpha.accessor), lookups(beta.accessor)]).toEqual([1, 1]);
    expect(env.double!.count("POST", "sys/capabilities-self")).toBe(2);

    // A revocation made by any process reaches every gateway as an event.
    await rt.state.events.publish({ type: "revoked", agent_id: "alpha" });
    await gateway.identify(alpha.token);
    await gateway.identify(beta.token);
    expect([lookups(alpha.accessor), lookups(beta.accessor)]).toEqual([2, 1]);

    await env.advance(60_000);
    await gateway.identify(beta.token);
    expect(lookups(beta.accessor)).toBe(2);
    gateway.close();
    await rt.close();
  });

  it("refuses a cached token at once when the revocation is made through it", async () => {
    const auth = createVaultAuthority({
      addr: env.addr,
      token: await env.serverToken(),
      clock: env.clock,
      renewCheckMs: 0,
    });
    const alpha = await login("alpha", 1);
    await auth.resolve(alpha.token);
    await auth.revokeAgent("alpha");
    await expect(auth.resolve(alpha.token)).rejects.toMatchObject({ code: "REVOKED" });
    await auth.close();
  });
});

describeDouble("the gateway's own token", () => {
  it("logs in with its AppRole, renews before expiry, and logs in again near token_max_ttl", async () => {
    const server = await createRole(env.http, env.operatorToken, { server: true });
    const auth = createVaultAuthority({
      addr: env.addr,
      roleId: server.role_id,
      secretId: server.secret_id,
      clock: env.clock,
      renewCheckMs: 0,
    });
    const count = (path: string) => env.double!.count("POST", path);
    await auth.issue({ agent_id: "beta", tier: 0 });
    expect([count("auth/approle/login"), count("auth/token/renew-self")]).toEqual([1, 0]);
    await env.advance(41 * 60_000);
    await auth.list();
    expect([count("auth/approle/login"), count("auth/token/renew-self")]).toEqual([1, 1]);
    let elapsed = 41;
    while (count("auth/approle/login") === 1 && elapsed < 30 * 60) {
      await env.advance(41 * 60_000);
      elapsed += 41;
      await auth.list(); // throws if the gateway's token had lapsed
    }
    // Renewals carried the first login to its 24 h token_max_ttl; only then a second login.
    expect(count("auth/approle/login")).toBe(2);
    expect(elapsed).toBeGreaterThan(22 * 60);
    expect(elapsed).toBeLessThanOrEqual(24 * 60 + 41);
    await auth.close();
  });

  it("keeps a renewable VAULT_TOKEN alive past its first TTL by renewing it", async () => {
    const auth = createVaultAuthority({
      addr: env.addr,
      token: await env.serverToken("1h"),
      clock: env.clock,
      renewCheckMs: 0,
    });
    await auth.list();
    for (let i = 0; i < 3; i++) {
      await env.advance(41 * 60_000);
      await auth.list();
    }
    expect(env.double!.count("POST", "auth/token/renew-self")).toBe(3);
    await auth.close();
  });
});

describe("credentials", () => {
  it("says so when it has no Vault credentials of its own, or Vault turns them down", async () => {
    const auth = createVaultAuthority({ addr: env.addr, clock: env.clock });
    await expect(auth.issue({ agent_id: "beta", tier: 0 })).rejects.toMatchObject({
      code: "UNAUTHENTICATED",
      message: expect.stringMatching(/no Vault credentials of its own/),
    });
    await auth.close();
    const forged = createVaultAuthority({
      addr: env.addr,
      token: "hvs.not-a-token",
      clock: env.clock,
    });
    await expect(forged.list()).rejects.toMatchObject({
      code: "UNAUTHENTICATED",
      message: expect.stringMatching(/VAULT_TOKEN is not a token Vault accepts .*invalid token/),
    });
    await forged.close();
  });

  it("without a token of its own, still revokes the agent tokens it has seen, by themselves", async () => {
    const alpha = await login(env.unique("alpha"), 1);
    const other = await env.login(alpha.role);
    const auth = createVaultAuthority({ addr: env.addr, clock: env.clock });
    await auth.resolve(alpha.token);
    expect(await auth.revokeAgent(alpha.id)).toBe(1);
    await expect(auth.resolve(alpha.token)).rejects.toMatchObject({
      code: "REVOKED",
      details: { agent_id: alpha.id },
    });
    // A token this gateway never saw is out of its reach without the agov-server policy.
    await expect(auth.resolve(other.token)).resolves.toMatchObject({ agent_id: alpha.id });
    await auth.close();
  });

  it("given an agent's own AppRole (stdio), revokes what it has seen and leaves no token of its own", async () => {
    const alpha = await login(env.unique("alpha"), 1);
    const auth = createVaultAuthority({
      addr: env.addr,
      roleId: alpha.role.role_id,
      secretId: alpha.role.secret_id,
      clock: env.clock,
      renewCheckMs: 0,
    });
    await auth.resolve(alpha.token);
    expect(await auth.revokeAgent(alpha.id)).toBe(1);
    await expect(auth.resolve(alpha.token)).rejects.toMatchObject({ code: "REVOKED" });
    const gateway = createVaultAuthority({
      addr: env.addr,
      token: await env.serverToken(),
      clock: env.clock,
    });
    expect((await gateway.list()).filter((t) => t.agent_id === alpha.id)).toEqual([]);
    await gateway.close();
    await auth.close();
  });

  it("refuses its own operations as DENIED when its token lacks the agov-server policy", async () => {
    const alpha = await login(env.unique("alpha"), 1);
    const auth = createVaultAuthority({
      addr: env.addr,
      token: alpha.token,
      clock: env.clock,
      renewCheckMs: 0,
    });
    await expect(auth.issue({ agent_id: "beta", tier: 0 })).rejects.toMatchObject({
      code: "DENIED",
      message: expect.stringMatching(/permission denied on auth\/token\/create/),
    });
    await auth.close();
  });

  it("logs an agent in with its AppRole for a stdio session, and names a bad secret id", async () => {
    const alpha = await login(env.unique("alpha"), 1);
    const session = await agentLogin({
      addr: env.addr,
      roleId: alpha.role.role_id,
      secretId: alpha.role.secret_id,
      clock: env.clock,
    });
    const auth = createVaultAuthority({ addr: env.addr, clock: env.clock });
    await expect(auth.resolve(session.token)).resolves.toMatchObject({
      agent_id: alpha.id,
      tier: 1,
    });
    session.close();
    await expect(
      agentLogin({
        addr: env.addr,
        roleId: alpha.role.role_id,
        secretId: "wrong",
        clock: env.clock,
      }),
    ).rejects.toMatchObject({
      code: "UNAUTHENTICATED",
      message: expect.stringMatching(/invalid role or secret ID/),
    });
    await auth.close();
  });
});
