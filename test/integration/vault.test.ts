// The Vault authority against the Vault HTTP double (or a real Vault when VAULT_ADDR and
// VAULT_TOKEN are set): AppRole identity, capabilities-driven grants, revocation by accessor,
// expiry, promotion, the gateway's own token, caching, and failing closed when Vault is away.
import { createServer, type Socket } from "node:net";
import { afterEach, beforeEach, describe, expect, it } from "vitest";
import { createVaultAuthority, type VaultAuthorityOptions } from "../../src/authority/vault.js";
import { createRole } from "../../src/authority/vault-admin.js";
import { REAL_VAULT, type VaultEnv, vaultEnv } from "../support/vault-env.js";

const TOOLS = ["whoami", "lock_status", "lock_acquire", "lock_release", "blackboard_post"];
const onDouble = it.skipIf(REAL_VAULT);

let env: VaultEnv;
const opened: Array<{ close(): Promise<void> }> = [];
beforeEach(async () => {
  env = await vaultEnv();
});
afterEach(async () => {
  for (const a of opened.splice(0)) await a.close();
  await env.close();
});

async function authority(extra: Partial<VaultAuthorityOptions> = {}) {
  const a = createVaultAuthority({
    addr: env.addr,
    token: await env.serverToken(),
    clock: env.clock,
    renewCheckMs: 0,
    ...extra,
  });
  opened.push(a);
  return a;
}

async function agent(name: string, tier: 0 | 1 | 2 | 3 | 4) {
  const id = env.unique(name);
  const role = await createRole(env.http, env.operatorToken, { agentId: id, tier });
  return { id, role, ...(await env.login(role)) };
}

describe("identity from AppRole", () => {
  it("names the agent by the role and the tier by its highest tN policy, with the tier's TTL", async () => {
    const auth = await authority();
    const alpha = await agent("alpha", 1);
    const caller = await auth.resolve(alpha.token);
    expect(caller).toMatchObject({ agent_id: alpha.id, tier: 1, token_id: alpha.accessor });
    expect(caller.policies).toEqual(expect.arrayContaining(["t1-operator", `agent-${alpha.id}`]));
    expect(caller.expires_at - env.clock.now()).toBeLessThanOrEqual(1_800_000);
    expect(caller.expires_at - env.clock.now()).toBeGreaterThan(1_790_000);
    const mixed = await env.http.write(
      "auth/token/create",
      { policies: ["t0-observer", "t2-builder"], meta: { agent_id: env.unique("mixed") } },
      env.operatorToken,
    );
    const token = String((mixed.auth as { client_token: string }).client_token);
    expect((await auth.resolve(token)).tier).toBe(2);
  });

  it("refuses a Vault token that names no agent", async () => {
    const auth = await authority();
    await expect(auth.resolve(env.operatorToken)).rejects.toMatchObject({
      code: "UNAUTHENTICATED",
      message: expect.stringMatching(/names no agent or holds no tier policy/),
    });
  });

  onDouble(
    "asks with the caller's own token and keeps its own token for its own calls",
    async () => {
      const auth = await authority();
      const alpha = await agent("alpha", 1);
      await auth.resolve(alpha.token);
      await auth.grants(alpha.token, await auth.resolve(alpha.token), TOOLS);
      const log = env.double!.requests;
      const asCaller = log.length;
      await auth.issue({ agent_id: "beta", tier: 0 });
      const before = log.slice(0, asCaller).filter((r) => r.accessor === alpha.accessor);
      expect(before.map((r) => `${r.method} ${r.path}`)).toEqual([
        "GET auth/token/lookup-self",
        "GET auth/token/lookup-self",
        "POST sys/capabilities-self",
      ]);
      const own = log.slice(asCaller);
      expect(own.map((r) => r.path)).toContain("auth/token/create");
      for (const r of own) {
        expect(r.accessor).toBeDefined();
        expect(r.accessor).not.toBe(alpha.accessor);
      }
    },
  );
});

describe("grants from sys/capabilities-self", () => {
  onDouble("asks Vault once for all tool paths", async () => {
    const auth = await authority();
    const alpha = await agent("alpha", 0);
    const granted = await auth.grants(alpha.token, await auth.resolve(alpha.token), TOOLS);
    expect([...granted].sort()).toEqual(["lock_status", "whoami"]);
    expect(env.double!.count("POST", "sys/capabilities-self")).toBe(1);
  });

  it("hides a tool an operator denies in Vault from a live token, at the next lookup", async () => {
    const auth = await authority();
    const alpha = await agent("alpha", 1);
    const caller = await auth.resolve(alpha.token);
    expect(await auth.grants(alpha.token, caller, TOOLS)).toContain("lock_acquire");
    await env.http.write(
      `sys/policies/acl/agent-${alpha.id}`,
      { policy: 'path "governance/tools/lock_acquire" {\n  capabilities = ["deny"]\n}\n' },
      env.operatorToken,
    );
    const after = await auth.grants(alpha.token, caller, TOOLS);
    expect(after).not.toContain("lock_acquire");
    expect([...after].sort()).toEqual(["blackboard_post", "lock_release", "lock_status", "whoami"]);
  });
});

describe("revocation, expiry and promotion", () => {
  it("revokes by accessor, so the agent's token is refused as revoked", async () => {
    const auth = await authority();
    const alpha = await agent("alpha", 1);
    await auth.resolve(alpha.token);
    expect(await auth.revokeAgent(alpha.id)).toBe(1);
    await expect(auth.resolve(alpha.token)).rejects.toMatchObject({
      code: "REVOKED",
      details: { agent_id: alpha.id },
    });
    if (env.double) {
      const revokes = env.double.requests.filter((r) => r.path === "auth/token/revoke-accessor");
      expect(revokes).toHaveLength(1);
      expect(revokes[0]!.accessor).not.toBe(alpha.accessor);
    }
  });

  it("keeps a revoked AppRole agent out: a fresh login holds no tier and is refused", async () => {
    const auth = await authority();
    const alpha = await agent("alpha", 2);
    await auth.revokeAgent(alpha.id);
    const again = await env.login(alpha.role);
    await expect(auth.resolve(again.token)).rejects.toMatchObject({ code: "UNAUTHENTICATED" });
    const role = await env.http.read(`auth/approle/role/${alpha.id}`, env.operatorToken);
    expect((role.data as { token_policies: string[] }).token_policies).toEqual([
      `agent-${alpha.id}`,
    ]);
    // An operator gives it a tier again on purpose.
    await createRole(env.http, env.operatorToken, { agentId: alpha.id, tier: 1 });
    const restored = await env.login(alpha.role);
    await expect(auth.resolve(restored.token)).resolves.toMatchObject({ tier: 1 });
  });

  onDouble(
    "refuses an AppRole token once the tier's TTL has passed, saying it expired",
    async () => {
      const auth = await authority();
      const exec = await agent("exec", 3);
      await auth.resolve(exec.token);
      await env.advance(15 * 60_000 - 1000);
      await expect(auth.resolve(exec.token)).resolves.toMatchObject({ tier: 3 });
      await env.advance(1000);
      await expect(auth.resolve(exec.token)).rejects.toMatchObject({
        code: "EXPIRED",
        message: expect.stringMatching(/expired/),
      });
    },
  );

  it("names an agent's tier by its AppRole role before it ever logs in, and none once revoked", async () => {
    const auth = await authority();
    const arch = env.unique("arch");
    await createRole(env.http, env.operatorToken, { agentId: arch, tier: 4 });
    expect(await auth.tierOf(arch)).toBe(4);
    const low = await agent("low", 1);
    expect(await auth.tierOf(low.id)).toBe(1);
    await auth.revokeAgent(arch);
    expect(await auth.tierOf(arch)).toBeNull();
  });

  it("promotes by rewriting the role's token_policies and revoking the old tokens", async () => {
    const auth = await authority();
    const alpha = await agent("alpha", 0);
    await auth.resolve(alpha.token);
    await auth.setTier(alpha.id, 2);
    const role = await env.http.read(`auth/approle/role/${alpha.id}`, env.operatorToken);
    expect(role.data).toMatchObject({
      token_policies: ["t2-builder", `agent-${alpha.id}`],
      token_ttl: 1800,
      token_max_ttl: 7200,
      token_type: "service",
    });
    await expect(auth.resolve(alpha.token)).rejects.toMatchObject({ code: "REVOKED" });
    const again = await env.login(alpha.role);
    const caller = await auth.resolve(again.token);
    expect(caller.tier).toBe(2);
    expect(await auth.grants(again.token, caller, TOOLS)).toContain("lock_acquire");
  });
});

describe("failing closed", () => {
  onDouble(
    "refuses with UNAVAILABLE while Vault is unreachable, and serves again when it is back",
    async () => {
      const auth = await authority();
      const alpha = await agent("alpha", 1);
      const caller = await auth.resolve(alpha.token);
      await env.double!.stop();
      const started = Date.now();
      for (const attempt of [
        auth.resolve(alpha.token),
        auth.grants(alpha.token, caller, TOOLS),
        auth.issue({ agent_id: "beta", tier: 0 }),
        auth.revokeAgent(alpha.id),
      ])
        await expect(attempt).rejects.toMatchObject({ code: "UNAVAILABLE", retryable: true });
      expect(Date.now() - started).toBeLessThan(5000);
      await env.double!.start();
      await expect(auth.resolve(alpha.token)).resolves.toMatchObject({ agent_id: alpha.id });
    },
  );

  onDouble("treats a sealed Vault as unavailable, not as a refusal", async () => {
    const auth = await authority();
    const alpha = await agent("alpha", 1);
    env.double!.seal(true);
    await expect(auth.resolve(alpha.token)).rejects.toMatchObject({
      code: "UNAVAILABLE",
      message: expect.stringMatching(/503: Vault is sealed/),
    });
    env.double!.seal(false);
    await expect(auth.resolve(alpha.token)).resolves.toMatchObject({ tier: 1 });
  });

  it("gives up on a Vault that accepts connections but never answers, within the timeout", async () => {
    const held: Socket[] = [];
    const silent = createServer((socket) => void held.push(socket)).listen(0, "127.0.0.1");
    await new Promise((r) => silent.once("listening", r));
    const port = (silent.address() as { port: number }).port;
    const auth = createVaultAuthority({
      addr: `http://127.0.0.1:${port}`,
      clock: env.clock,
      timeoutMs: 300,
      renewCheckMs: 0,
    });
    const started = Date.now();
    await expect(auth.resolve("hvs.any")).rejects.toMatchObject({ code: "UNAVAILABLE" });
    expect(Date.now() - started).toBeLessThan(2000);
    await auth.close();
    for (const socket of held) socket.destroy();
    silent.close();
  });
});
