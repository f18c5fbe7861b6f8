// The Vault authority: Vault decides who a caller is (auth/token/lookup-self, sent with the
// caller's own token) and which tools it may call (one sys/capabilities-self for every tool path).
import type { Clock } from "../util/clock.js";
import { AgovError } from "../util/errors.js";
import { sha256 } from "../util/json.js";
import {
  type Authority,
  type Caller,
  checkTokenTtl,
  TIER_TTL_MS,
  type Tier,
  type TokenInfo,
  tierPolicyName,
} from "./index.js";
import { capabilitiesFor, grantsCommand, grantsTool, parsePolicy, toolPath } from "./policy.js";
import { APPROLE_MOUNT, agentPolicyName, agentRoleBody, ROLE_NAME } from "./vault-admin.js";
import {
  createVaultHttp,
  isVaultStatus,
  toSeconds,
  type VaultBody,
  vaultOperation,
} from "./vault-client.js";
import {
  callerOf,
  createTokenMemory,
  parseTokenData,
  tierOf as policyTier,
} from "./vault-identity.js";
import { createServerSession } from "./vault-session.js";
import { createAgentTokens } from "./vault-tokens.js";

export interface VaultAuthorityOptions {
  addr: string;
  /** The gateway's own token (VAULT_TOKEN); otherwise it logs in with roleId/secretId. */
  token?: string | undefined;
  roleId?: string | undefined;
  secretId?: string | undefined;
  clock: Clock;
  /** A Vault that does not answer within this long counts as unreachable (default 5 s). */
  timeoutMs?: number;
  /** How often the gateway's own token is checked for renewal (default 30 s; 0: only on use). */
  renewCheckMs?: number;
}

/**
 * Asks Vault on every call: the gateway caches identities (cache_ttl_ms) and drops them on
 * revocation events from every process, so a second cache here could only serve stale answers.
 */
export type VaultAuthority = Authority;

export function createVaultAuthority(opts: VaultAuthorityOptions): VaultAuthority {
  const { clock } = opts;
  const http = createVaultHttp(opts.addr, opts.timeoutMs ?? 5000);
  const session = createServerSession({
    http,
    clock,
    token: opts.token,
    roleId: opts.roleId,
    secretId: opts.secretId,
    checkEveryMs: opts.renewCheckMs ?? 30_000,
  });
  const memory = createTokenMemory(clock);
  const tokens = createAgentTokens({ http, session, clock, memory });

  /** A request made with the caller's token: Vault's 403 becomes the caller's refusal. */
  async function asCaller<T>(key: string, run: () => Promise<T>): Promise<T> {
    try {
      return await run();
    } catch (err) {
      if (isVaultStatus(err, 403)) throw memory.refusal(key);
      if (err instanceof AgovError) throw err;
      throw new AgovError("INTERNAL", `Vault: ${(err as Error).message}`);
    }
  }

  return {
    kind: "vault",
    async resolve(token) {
      const key = sha256(token);
      const body = await asCaller(key, () => http.read("auth/token/lookup-self", token));
      const caller = callerOf(parseTokenData(body, "lookup-self"), clock.now());
      if (!caller)
        throw new AgovError(
          "UNAUTHENTICATED",
          `this Vault token names no agent or holds no tier policy (${tierPolicyName(0)} … ${tierPolicyName(4)}): log in with an agent's AppRole`,
        );
      memory.remember(key, caller);
      tokens.noteSeen(caller, token);
      return caller;
    },
    async grants(token, _caller, tools) {
      const key = sha256(token);
      const paths = tools.map(toolPath);
      const res = await asCaller(key, () => http.write("sys/capabilities-self", { paths }, token));
      // Vault answers each path under `data` and, for older clients, at the top level as well.
      const data = (res.data && typeof res.data === "object" ? res.data : res) as VaultBody;
      const granted = new Set(
        tools.filter((t) => {
          const caps = data[toolPath(t)];
          return Array.isArray(caps) && grantsTool(caps.map(String));
        }),
      );
      return granted;
    },
    async tierGrants(tier, paths) {
      // The tier's policy as Vault holds it (the server role may read policies), evaluated the way
      // sys/capabilities-self would for a token holding it.
      const server = await session.token();
      const name = tierPolicyName(tier);
      const res = await vaultOperation(`read policy ${name}`, () =>
        http.read(`sys/policies/acl/${name}`, server),
      );
      const text = String(((res.data ?? {}) as VaultBody).policy ?? "");
      const policy = parsePolicy(name, text);
      return new Set(paths.filter((p) => grantsCommand(capabilitiesFor([policy], p))));
    },
    async issue({ agent_id, tier, ttl_ms }) {
      checkTokenTtl(ttl_ms);
      const server = await session.token();
      const ttl = `${toSeconds(ttl_ms ?? TIER_TTL_MS[tier])}s`;
      const res = await vaultOperation(`create a token for ${agent_id}`, () =>
        http.write(
          "auth/token/create",
          {
            policies: [tierPolicyName(tier), agentPolicyName(agent_id)],
            meta: { agent_id },
            // An orphan, so that it outlives the gateway's own token; fixed lifetime like `local`.
            no_parent: true,
            renewable: false,
            ttl,
            explicit_max_ttl: ttl,
            display_name: `agov-${agent_id}`,
          },
          server,
        ),
      );
      const auth = (res.auth ?? {}) as VaultBody;
      return {
        token: String(auth.client_token),
        token_id: String(auth.accessor),
        agent_id,
        tier,
        expires_at: clock.now() + Number(auth.lease_duration ?? 0) * 1000,
      };
    },
    async revokeAgent(agentId) {
      // Revoking tokens is not enough with AppRole: the agent could log in again with its role id
      // and secret id. Its role is first cut down to the per-agent policy, so a new login holds no
      // tier and is refused (`agov agent create` gives it a tier again, deliberately). Best effort:
      // credentials that may not read roles (an agent's own stdio session) leave the role as it is.
      const server = await session.token().catch(() => null);
      const path = `auth/${APPROLE_MOUNT}/role/${agentId}`;
      const role = server
        ? await http.read(path, server).catch((err: unknown) => {
            if (isVaultStatus(err, 403, 404)) return null;
            throw err;
          })
        : null;
      if (server && role)
        await vaultOperation(`disable the AppRole role of ${agentId}`, () =>
          http.write(path, { token_policies: [agentPolicyName(agentId)] }, server),
        );
      return tokens.revoke(agentId);
    },
    async list(): Promise<TokenInfo[]> {
      const now = clock.now();
      return (await tokens.list())
        .map((d) => callerOf(d, now))
        .filter((c): c is Caller => !!c)
        .map((c) => ({
          token_id: c.token_id,
          agent_id: c.agent_id,
          tier: c.tier,
          issued_at: c.issued_at,
          expires_at: c.expires_at,
          // Vault forgets revoked tokens; every token it still lists is live.
          revoked: false,
        }))
        .sort((a, b) => a.agent_id.localeCompare(b.agent_id) || a.issued_at - b.issued_at);
    },
    async tierOf(agentId) {
      const server = await session.token();
      // The role is the tier the agent's next login gets; tokens made by `agov token issue` have
      // no role, so the live tokens are looked at too. The higher of the two is the agent's tier.
      const role = ROLE_NAME.test(agentId)
        ? await vaultOperation(`read the AppRole role of ${agentId}`, () =>
            http.read(`auth/${APPROLE_MOUNT}/role/${agentId}`, server).catch((err: unknown) => {
              if (isVaultStatus(err, 404)) return null;
              throw err;
            }),
          )
        : null;
      const policies = (role?.data as VaultBody | undefined)?.token_policies;
      const fromRole = Array.isArray(policies) ? policyTier(policies.map(String)) : undefined;
      const fromTokens = fromRole === 4 ? undefined : await tokens.highestTier(agentId);
      const tiers = [fromRole, fromTokens].filter((t): t is Tier => t !== undefined);
      return tiers.length > 0 ? (Math.max(...tiers) as Tier) : null;
    },
    async setTier(agentId, tier) {
      const server = await session.token();
      // Rewrites the role's token_policies (a login from now on gets the new tier) and revokes the
      // tokens issued at the old one: Vault cannot change the policies of a live token.
      await vaultOperation(`rewrite the AppRole role of ${agentId}`, () =>
        http.write(`auth/${APPROLE_MOUNT}/role/${agentId}`, agentRoleBody(agentId, tier), server),
      );
      await tokens.revoke(agentId);
    },
    async close() {
      session.close();
    },
  };
}

export { agentLogin } from "./vault-session.js";
