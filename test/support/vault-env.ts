// The Vault the Vault tests run against: the HTTP double with a manual clock, or a real Vault when
// VAULT_ADDR and VAULT_TOKEN (an operator's token) are set. Either way it is set up as an operator
// would: `policies apply`, and a gateway token holding only the agov-server policy.
import { randomBytes } from "node:crypto";
import { applyPolicies, type CreatedRole } from "../../src/authority/vault-admin.js";
import {
  createVaultHttp,
  type VaultBody,
  type VaultHttp,
} from "../../src/authority/vault-client.js";
import { type Clock, manualClock, systemClock } from "../../src/util/clock.js";
import { bundledPolicies } from "../../src/util/paths.js";
import { startVaultDouble, type VaultDouble } from "./vault-double.js";

export const REAL_VAULT = !!(process.env.VAULT_ADDR && process.env.VAULT_TOKEN);

export interface VaultEnv {
  addr: string;
  /** The double's root token, or the real Vault's VAULT_TOKEN. */
  operatorToken: string;
  http: VaultHttp;
  clock: Clock;
  /** Moves time on: the double's clock, or real waiting (plus a second: Vault counts seconds). */
  advance(ms: number): Promise<void>;
  /** Undefined against a real Vault: tests that need its request log or an outage skip. */
  double: VaultDouble | undefined;
  /** A new token with only the agov-server policy, as the gateway is given. */
  serverToken(ttl?: string): Promise<string>;
  login(
    role: Pick<CreatedRole, "role_id" | "secret_id">,
  ): Promise<{ token: string; accessor: string }>;
  /** A name no other test run has used (a real Vault keeps roles between runs). */
  unique(name: string): string;
  close(): Promise<void>;
}

export async function vaultEnv(): Promise<VaultEnv> {
  let double: VaultDouble | undefined;
  let addr: string;
  let operatorToken: string;
  let clock: Clock;
  let advance: (ms: number) => Promise<void>;
  if (REAL_VAULT) {
    addr = process.env.VAULT_ADDR!;
    operatorToken = process.env.VAULT_TOKEN!;
    clock = systemClock;
    advance = (ms) => new Promise((r) => setTimeout(r, ms + 1100));
  } else {
    const manual = manualClock(Date.now());
    clock = manual;
    double = await startVaultDouble({ clock });
    addr = double.addr;
    operatorToken = double.rootToken;
    advance = async (ms) => manual.advance(ms);
  }
  const http = createVaultHttp(addr, 5000);
  await applyPolicies(http, operatorToken, [bundledPolicies()]);
  const run = randomBytes(3).toString("hex");
  return {
    addr,
    operatorToken,
    http,
    clock,
    advance,
    double,
    async serverToken(ttl = "1h") {
      const res = await http.write(
        "auth/token/create",
        { policies: ["agov-server"], no_parent: true, ttl, renewable: true },
        operatorToken,
      );
      return String((res.auth as VaultBody).client_token);
    },
    async login(role) {
      const res = await http.write("auth/approle/login", {
        role_id: role.role_id,
        secret_id: role.secret_id,
      });
      const auth = res.auth as VaultBody;
      return { token: String(auth.client_token), accessor: String(auth.accessor) };
    },
    unique: (name) => (REAL_VAULT ? `${name}-${run}` : name),
    close: async () => double?.close(),
  };
}
