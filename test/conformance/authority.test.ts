// Runs the Authority contract against the local adapter and the Vault adapter (on the HTTP
// double, or on a real Vault when VAULT_ADDR and VAULT_TOKEN are set).
import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { createLocalAuthority } from "../../src/authority/local.js";
import { createVaultAuthority } from "../../src/authority/vault.js";
import { manualClock, randomIds } from "../../src/util/clock.js";
import { bundledPolicies } from "../../src/util/paths.js";
import { REAL_VAULT, vaultEnv } from "../support/vault-env.js";
import { authorityConformance } from "./authority.suite.js";

authorityConformance("local", async () => {
  const clock = manualClock();
  const home = mkdtempSync(join(tmpdir(), "agov-authority-"));
  return {
    authority: createLocalAuthority({
      home,
      policyDirs: [bundledPolicies()],
      clock,
      ids: randomIds,
    }),
    clock,
    advance: async (ms) => clock.advance(ms),
    unique: (name) => name,
    promotion: "in-place",
    cleanup: async () => rmSync(home, { recursive: true, force: true }),
  };
});

authorityConformance(REAL_VAULT ? "vault (real Vault)" : "vault (HTTP double)", async () => {
  const env = await vaultEnv();
  return {
    authority: createVaultAuthority({
      addr: env.addr,
      token: await env.serverToken(),
      clock: env.clock,
      renewCheckMs: 0,
    }),
    clock: env.clock,
    advance: env.advance,
    unique: env.unique,
    promotion: "revokes",
    cleanup: env.close,
  };
});
