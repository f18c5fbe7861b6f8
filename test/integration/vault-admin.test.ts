// Setting up a Vault for agov (`agov policies apply`, `agov agent create`) against the Vault
// double, or a real Vault when VAULT_ADDR and VAULT_TOKEN are set.
import { readFileSync } from "node:fs";
import { join } from "node:path";
import { afterEach, beforeEach, expect, it } from "vitest";
import { applyPolicies, createRole } from "../../src/authority/vault-admin.js";
import { bundledPolicies } from "../../src/util/paths.js";
import { REAL_VAULT, type VaultEnv, vaultEnv } from "../support/vault-env.js";

let env: VaultEnv;
beforeEach(async () => {
  env = await vaultEnv(); // applies the policies once, as `agov policies apply` would
});
afterEach(async () => env.close());

it("writes every policy file into Vault as it is, and enables AppRole only once", async () => {
  for (const name of ["t0-observer", "t1-operator", "t4-architect", "agov-server"]) {
    const res = await env.http.read(`sys/policies/acl/${name}`, env.operatorToken);
    const text = readFileSync(join(bundledPolicies(), `${name}.hcl`), "utf8");
    expect((res.data as { policy: string }).policy).toBe(text);
  }
  const again = await applyPolicies(env.http, env.operatorToken, [bundledPolicies()]);
  expect(again.enabledAppRole).toBe(false);
  expect(again.written).toEqual(
    expect.arrayContaining(["t0-observer", "t3-executor", "t4-architect", "agov-server"]),
  );
  const mounts = await env.http.read("sys/auth", env.operatorToken);
  expect(mounts.data).toHaveProperty(["approle/", "type"], "approle");
});

it.skipIf(REAL_VAULT)("enables the AppRole mount on a Vault that lacks it", async () => {
  env.double!.state.authMounts.delete("approle/");
  const res = await applyPolicies(env.http, env.operatorToken, [bundledPolicies()]);
  expect(res.enabledAppRole).toBe(true);
  expect(env.double!.count("POST", "sys/auth/approle")).toBe(2);
});

it("refuses to set up Vault with the gateway's token, which may not write policies", async () => {
  await expect(
    applyPolicies(env.http, await env.serverToken(), [bundledPolicies()]),
  ).rejects.toMatchObject({
    code: "DENIED",
    message: expect.stringMatching(/sys\/policies\/acl/),
  });
});

it("writes an agent's role at its tier and hands out credentials that log in", async () => {
  const id = env.unique("alpha");
  const created = await createRole(env.http, env.operatorToken, { agentId: id, tier: 3 });
  expect(created).toMatchObject({
    role: id,
    token_policies: ["t3-executor", `agent-${id}`],
    token_ttl: 900,
    token_max_ttl: 3600,
  });
  expect(created.role_id).toMatch(/\S{8,}/);
  expect(created.secret_id).toMatch(/\S{8,}/);
  const role = await env.http.read(`auth/approle/role/${id}`, env.operatorToken);
  expect(role.data).toMatchObject({
    token_policies: ["t3-executor", `agent-${id}`],
    token_ttl: 900,
    token_max_ttl: 3600,
    token_type: "service",
    bind_secret_id: true,
    secret_id_ttl: 2_592_000,
  });
  const { token } = await env.login(created);
  const self = await env.http.read("auth/token/lookup-self", token);
  expect(self.data).toMatchObject({
    meta: { role_name: id },
    policies: expect.arrayContaining(["t3-executor"]),
  });
});

it("writes the gateway's own role with the agov-server policy", async () => {
  const created = await createRole(env.http, env.operatorToken, { server: true });
  expect(created).toMatchObject({ role: "agov-server", token_policies: ["agov-server"] });
  const { token } = await env.login(created);
  const caps = await env.http.write(
    "sys/capabilities-self",
    { paths: ["auth/token/revoke-accessor", "secret/data/services/dragonfly", "sys/auth/approle"] },
    token,
  );
  expect(caps.data).toEqual({
    "auth/token/revoke-accessor": ["update"],
    "secret/data/services/dragonfly": ["read"],
    "sys/auth/approle": ["deny"],
  });
});

it("refuses an agent id that cannot be an AppRole name, before asking Vault", async () => {
  await expect(
    createRole(env.http, env.operatorToken, { agentId: "ops:alpha", tier: 1 }),
  ).rejects.toMatchObject({
    code: "INVALID_INPUT",
    message: expect.stringMatching(/AppRole name/),
  });
});
