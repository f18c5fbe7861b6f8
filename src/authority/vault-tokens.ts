// The agent tokens Vault holds, as the gateway manages them: found through the accessor list and
// revoked by accessor (no token is ever read back); or, when the gateway's credentials cannot do
// that (none, or an agent's own AppRole), revoked by the tokens it has seen, each revoking itself.
import type { Clock } from "../util/clock.js";
import { AgovError } from "../util/errors.js";
import type { Caller, Tier } from "./index.js";
import { isVaultStatus, type VaultHttp, vaultOperation } from "./vault-client.js";
import {
  callerOf,
  type createTokenMemory,
  parseTokenData,
  type TokenData,
} from "./vault-identity.js";
import type { ServerSession } from "./vault-session.js";

export function createAgentTokens(deps: {
  http: VaultHttp;
  session: ServerSession;
  clock: Clock;
  memory: ReturnType<typeof createTokenMemory>;
}) {
  const { http, session, clock, memory } = deps;
  /** Tokens resolved here, by agent (bounded), so that they can revoke themselves if need be. */
  const seen = new Map<string, Map<string, string>>();

  async function list(): Promise<TokenData[]> {
    const server = await session.token();
    const accessors = await vaultOperation("list token accessors", () =>
      http.list("auth/token/accessors", server),
    );
    const found: TokenData[] = [];
    for (let i = 0; i < accessors.length; i += 16) {
      const batch = accessors.slice(i, i + 16).map(async (accessor) => {
        try {
          const body = await http.write("auth/token/lookup-accessor", { accessor }, server);
          return parseTokenData(body, "lookup-accessor");
        } catch (err) {
          if (isVaultStatus(err, 400)) return undefined; // expired or revoked since it was listed
          return vaultOperation("look up a token accessor", () => Promise.reject(err));
        }
      });
      for (const d of await Promise.all(batch)) if (d) found.push(d);
    }
    return found;
  }

  /** Each seen token revokes itself, as Vault's default policy allows any token to. */
  async function revokeSeen(agentId: string): Promise<number> {
    let n = 0;
    for (const [token, accessor] of seen.get(agentId) ?? []) {
      try {
        await http.write("auth/token/revoke-self", {}, token);
        n++;
      } catch (err) {
        if (!isVaultStatus(err, 403)) throw err; // 403: Vault no longer has it
      }
      memory.markRevoked(accessor);
    }
    seen.delete(agentId);
    return n;
  }

  async function revokeListed(agentId: string): Promise<number> {
    const server = await session.token();
    let n = 0;
    for (const d of await list()) {
      if (callerOf(d, clock.now())?.agent_id !== agentId) continue;
      try {
        await http.write("auth/token/revoke-accessor", { accessor: d.accessor }, server);
        n++;
      } catch (err) {
        if (!isVaultStatus(err, 400))
          await vaultOperation("revoke a token", () => Promise.reject(err));
      }
      memory.markRevoked(d.accessor);
    }
    return n;
  }

  /** The highest tier among the agent's live tokens (one lookup per token Vault holds). */
  async function highestTier(agentId: string): Promise<Tier | undefined> {
    const now = clock.now();
    let best: Tier | undefined;
    for (const d of await list()) {
      const c = callerOf(d, now);
      if (c?.agent_id !== agentId || c.expires_at <= now) continue;
      if (best === undefined || c.tier > best) best = c.tier;
    }
    return best;
  }

  async function revoke(agentId: string): Promise<number> {
    let n: number;
    try {
      n = session.configured ? await revokeListed(agentId) : await revokeSeen(agentId);
    } catch (err) {
      // Credentials that may not list or revoke tokens (an agent's own AppRole, given to `agov
      // serve` over stdio) still leave the tokens seen here, which can revoke themselves.
      if (!(err instanceof AgovError && err.code === "DENIED")) throw err;
      await session.discard();
      n = await revokeSeen(agentId);
      if (n === 0) throw err;
    }
    return n;
  }

  return {
    list,
    highestTier,
    revoke,
    noteSeen(caller: Caller, token: string): void {
      const mine = seen.get(caller.agent_id) ?? new Map<string, string>();
      mine.set(token, caller.token_id);
      if (mine.size > 16) mine.delete(mine.keys().next().value as string);
      seen.delete(caller.agent_id);
      seen.set(caller.agent_id, mine);
      if (seen.size > 10_000) seen.delete(seen.keys().next().value as string);
    },
  };
}
