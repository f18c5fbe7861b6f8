// agov with AGOV_AUTHORITY=vault, as an operator and an agent meet it: the real binary against the
// Vault HTTP double (real clock), set up with `agov policies apply` and `agov agent create`.
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { createVaultHttp, type VaultBody } from "../../src/authority/vault-client.js";
import { TOOLS } from "../../tools/index.js";
import { agov, httpClient, httpServer, stdioClient, tempHome, textOf } from "../support/agov.js";
import { startVaultDouble, type VaultDouble } from "../support/vault-double.js";

/** The tools a tier's policy grants: its own and every lower tier's. */
const upTo = (tier: number) =>
  TOOLS.filter((t) => t.tier <= tier)
    .map((t) => t.name)
    .sort();

let vault: VaultDouble;
let home: string;
let serverToken: string;
const operator = () => ({ AGOV_HOME: home, VAULT_ADDR: vault.addr, VAULT_TOKEN: vault.rootToken });
const gateway = () => ({
  AGOV_HOME: home,
  AGOV_AUTHORITY: "vault",
  VAULT_ADDR: vault.addr,
  VAULT_TOKEN: serverToken,
  // Every call asks Vault, so a revocation, a deny or an outage shows on the very next call.
  AGOV_CACHE_TTL_MS: "0",
});

async function createAgent(id: string, tier: number) {
  const r = await agov(
    ["agent", "create", "--agent", id, "--tier", String(tier), "--json"],
    operator(),
  );
  expect(r.code, r.stderr).toBe(0);
  return JSON.parse(r.stdout) as { role_id: string; secret_id: string };
}
const names = async (c: { listTools(): Promise<{ tools: Array<{ name: string }> }> }) =>
  (await c.listTools()).tools.map((t) => t.name).sort();

beforeAll(async () => {
  vault = await startVaultDouble();
  home = tempHome("agov-vault-e2e-");
  const applied = await agov(["policies", "apply", "--json"], operator());
  expect(applied.code, applied.stderr).toBe(0);
  expect(JSON.parse(applied.stdout)).toMatchObject({ enabled_approle: true });
  const server = await agov(["agent", "create", "--server", "--json"], operator());
  expect(server.code, server.stderr).toBe(0);
  const creds = JSON.parse(server.stdout) as { role_id: string; secret_id: string };
  const login = await createVaultHttp(vault.addr, 5000).write("auth/approle/login", creds);
  serverToken = String((login.auth as VaultBody).client_token);
});
afterAll(async () => vault.close());

describe("operator set-up", () => {
  it("needs an operator's VAULT_TOKEN, and records what it set up in the audit ledger", async () => {
    const missing = await agov(["policies", "apply"], { AGOV_HOME: home, VAULT_ADDR: vault.addr });
    expect(missing.code).toBe(2);
    expect(missing.stderr).toMatch(/policies apply: set VAULT_TOKEN/);
    const human = await agov(["agent", "create", "--agent", "scribe", "--tier", "0"], operator());
    expect(human.code).toBe(0);
    expect(human.stdout).toMatch(/^role_id {4}\S+\nsecret_id {2}\S+\n$/);
    expect(human.stderr).toMatch(/T0 \(observer\).*token TTL 1h, renewable up to 4h/);
    const rows = JSON.parse((await agov(["audit", "query", "--json"], { AGOV_HOME: home })).stdout);
    const actions = rows.map((r: { action: string }) => r.action).join("\n");
    expect(actions).toMatch(/policies apply: agov-server, t0-observer.*enabled auth\/approle/);
    expect(actions).toMatch(/agent create: AppRole scribe for scribe at T0/);
    expect(actions).toMatch(/agent create: AppRole agov-server for the agov gateway/);
  });
});

describe("stdio, an agent logged in by AppRole", () => {
  it("lists its tier's tools, loses a tool an operator denies, is refused once revoked", async () => {
    const alpha = await createAgent("alpha", 1);
    const observer = await createAgent("observer", 0);
    const appRole = (c: { role_id: string; secret_id: string }) => ({
      ...gateway(),
      VAULT_TOKEN: "",
      VAULT_ROLE_ID: c.role_id,
      VAULT_SECRET_ID: c.secret_id,
    });
    const a = await stdioClient(home, "", appRole(alpha));
    const o = await stdioClient(home, "", appRole(observer));
    try {
      expect(await names(a.client)).toEqual(upTo(1));
      expect(await names(o.client)).toEqual(upTo(0));

      await createVaultHttp(vault.addr, 5000).write(
        "sys/policies/acl/agent-alpha",
        { policy: 'path "governance/tools/lock_acquire" { capabilities = ["deny"] }' },
        vault.rootToken,
      );
      expect(await names(a.client)).toEqual(upTo(1).filter((n) => n !== "lock_acquire"));
      const denied = await a.client.callTool({
        name: "lock_acquire",
        arguments: { resource: "db", ttl_ms: 1000 },
      });
      expect(textOf(denied)).toMatch(/DENIED: lock_acquire refused: denied by policy/);

      const revoke = await agov(["token", "revoke", "--agent", "alpha"], gateway());
      expect(revoke.code, revoke.stderr).toBe(0);
      expect(revoke.stderr).toMatch(/Revoked 1 live token\(s\) of alpha/);
      const refused = await a.client.callTool({ name: "whoami", arguments: {} });
      expect(textOf(refused)).toMatch(/^REVOKED: token of agent alpha .* was revoked in Vault/);
      expect(await names(o.client)).toEqual(upTo(0));
    } finally {
      await a.close();
      await o.close();
    }
  });

  it("refuses calls with UNAVAILABLE while Vault is down, audits them, and serves again after", async () => {
    const beta = await createAgent("beta", 1);
    const b = await stdioClient(home, "", {
      ...gateway(),
      VAULT_TOKEN: "",
      VAULT_ROLE_ID: beta.role_id,
      VAULT_SECRET_ID: beta.secret_id,
    });
    try {
      expect((await b.client.callTool({ name: "whoami", arguments: {} })).isError).toBeFalsy();
      await vault.stop();
      const started = Date.now();
      const down = await b.client.callTool({ name: "heartbeat", arguments: {} });
      expect(Date.now() - started).toBeLessThan(6000);
      expect(textOf(down)).toMatch(/^UNAVAILABLE: Vault at .* is unreachable/);
      expect(down._meta).toMatchObject({ "agov/error": { code: "UNAVAILABLE", retryable: true } });
      await vault.start();
      const back = await b.client.callTool({ name: "whoami", arguments: {} });
      expect(back.structuredContent).toMatchObject({ agent_id: "beta", tier: 1 });
    } finally {
      await vault.start().catch(() => {});
      await b.close();
    }
    const rows = JSON.parse(
      (await agov(["audit", "query", "--decision", "deny", "--json"], { AGOV_HOME: home })).stdout,
    );
    expect(rows).toContainEqual(
      expect.objectContaining({ tool: "heartbeat", decision: "deny", error_type: "UNAVAILABLE" }),
    );
  });
});

describe("Streamable HTTP with the gateway's own token", () => {
  it("shows each bearer the tools Vault grants, refuses while Vault is down, and recovers", async () => {
    const server = await httpServer(home, gateway());
    try {
      const issued = await agov(
        ["token", "issue", "--agent", "gamma", "--tier", "0", "--json"],
        gateway(),
      );
      expect(issued.code, issued.stderr).toBe(0);
      const gamma = await httpClient(server.url, JSON.parse(issued.stdout).token);
      const delta = await createAgent("delta", 1);
      const login = await createVaultHttp(vault.addr, 5000).write("auth/approle/login", delta);
      const d = await httpClient(server.url, String((login.auth as VaultBody).client_token));
      expect(await names(gamma.client)).toEqual(upTo(0));
      expect(await names(d.client)).toEqual(upTo(1));

      const unavailable = async () =>
        (
          JSON.parse(
            (await agov(["audit", "query", "--decision", "deny", "--json"], { AGOV_HOME: home }))
              .stdout,
          ) as Array<{ error_type: string }>
        ).filter((r) => r.error_type === "UNAVAILABLE").length;
      const before = await unavailable();
      await vault.stop();
      await expect(d.client.callTool({ name: "whoami", arguments: {} })).rejects.toThrow(
        /unreachable/,
      );
      expect(await unavailable()).toBeGreaterThan(before);
      await vault.start();
      const back = await d.client.callTool({ name: "whoami", arguments: {} });
      expect(back.structuredContent).toMatchObject({ agent_id: "delta", tier: 1 });
      await gamma.close();
      await d.close();
    } finally {
      await vault.start().catch(() => {});
      await server.stop();
    }
  });
});
