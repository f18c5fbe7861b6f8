// The embedded authority: random tokens shown once and stored only as SHA-256 hashes in
// $AGOV_HOME/authority.db; grants come from the same HCL policies Vault would hold.
import { existsSync, readdirSync, readFileSync } from "node:fs";
import { join } from "node:path";
import type { Clock, Ids } from "../util/clock.js";
import { AgovError } from "../util/errors.js";
import { sha256 } from "../util/json.js";
import { migrate, openDatabase } from "../util/sqlite.js";
import {
  type Authority,
  type Caller,
  checkTokenTtl,
  isTier,
  TIER_TTL_MS,
  type Tier,
  type TokenInfo,
  tierPolicyName,
} from "./index.js";
import {
  capabilitiesFor,
  grantsCommand,
  grantsTool,
  type Policy,
  parsePolicy,
  toolPath,
} from "./policy.js";

const MIGRATIONS = [
  `CREATE TABLE tokens (
     token_id TEXT PRIMARY KEY,
     token_hash TEXT NOT NULL UNIQUE,
     agent_id TEXT NOT NULL,
     tier INTEGER NOT NULL,
     issued_at INTEGER NOT NULL,
     expires_at INTEGER NOT NULL,
     revoked_at INTEGER
   );
   CREATE INDEX tokens_agent ON tokens(agent_id);`,
];

interface TokenRow {
  token_id: string;
  agent_id: string;
  tier: number;
  issued_at: number;
  expires_at: number;
  revoked_at: number | null;
}

/** Reads every `*.hcl` in the given folders; later folders may add agent-specific policies. */
export function loadPolicies(dirs: readonly string[]): Map<string, Policy> {
  const out = new Map<string, Policy>();
  for (const dir of dirs) {
    if (!existsSync(dir)) continue;
    for (const file of readdirSync(dir).sort()) {
      if (!file.endsWith(".hcl")) continue;
      const name = file.slice(0, -4);
      out.set(name, parsePolicy(name, readFileSync(join(dir, file), "utf8")));
    }
  }
  return out;
}

export function createLocalAuthority(opts: {
  home: string;
  policyDirs: readonly string[];
  clock: Clock;
  ids: Ids;
}): Authority {
  const db = openDatabase(join(opts.home, "authority.db"));
  migrate(db, MIGRATIONS);
  const { clock, ids } = opts;
  const policies = loadPolicies(opts.policyDirs);
  for (let t = 0; t <= 4; t++) {
    if (!policies.has(tierPolicyName(t))) {
      throw new AgovError(
        "UNAVAILABLE",
        `policy ${tierPolicyName(t)}.hcl not found in ${opts.policyDirs.join(", ")}`,
      );
    }
  }
  const grantMemo = new Map<string, Set<string>>();
  const byHash = db.prepare("SELECT * FROM tokens WHERE token_hash = ?");
  // Token rows seen, by token, for as long as authority.db is unchanged: data_version moves whenever
  // another connection (another process's issue, revoke or promotion) commits, total_changes with
  // every write of this one, so a revocation from anywhere still refuses the very next call.
  const dataVersion = db
    .prepare("SELECT total_changes() || '.' || data_version FROM pragma_data_version")
    .pluck();
  const seen = new Map<string, TokenRow>();
  let seenAt: unknown;
  const SEEN_MAX = 10_000;
  const tokenRow = (token: string): TokenRow | undefined => {
    const v = dataVersion.get();
    if (v !== seenAt) {
      seen.clear();
      seenAt = v;
    }
    let row = seen.get(token);
    if (!row) {
      row = byHash.get(sha256(token)) as TokenRow | undefined;
      // Unknown tokens are not kept: guessing cannot fill the memory.
      if (row) {
        if (seen.size >= SEEN_MAX) seen.clear();
        seen.set(token, row);
      }
    }
    return row;
  };
  const policiesOf = (agentId: string, tier: number) => {
    const names = [tierPolicyName(tier)];
    if (policies.has(`agent-${agentId}`)) names.push(`agent-${agentId}`);
    return names;
  };

  return {
    kind: "local",
    async resolve(token: string): Promise<Caller> {
      const row = tokenRow(token);
      if (!row)
        throw new AgovError(
          "UNAUTHENTICATED",
          "token not recognised: issue one with `agov token issue`",
        );
      if (row.revoked_at !== null) {
        throw new AgovError(
          "REVOKED",
          `token of agent ${row.agent_id} was revoked at ${new Date(row.revoked_at).toISOString()}`,
          {
            agent_id: row.agent_id,
            tier: row.tier,
          },
        );
      }
      if (row.expires_at <= clock.now()) {
        throw new AgovError(
          "EXPIRED",
          `token of agent ${row.agent_id} expired at ${new Date(row.expires_at).toISOString()}; issue a new one`,
          {
            agent_id: row.agent_id,
            tier: row.tier,
          },
        );
      }
      if (!isTier(row.tier))
        throw new AgovError("INTERNAL", `token has an invalid tier ${row.tier}`);
      return {
        agent_id: row.agent_id,
        tier: row.tier,
        token_id: row.token_id,
        policies: policiesOf(row.agent_id, row.tier),
        issued_at: row.issued_at,
        expires_at: row.expires_at,
      };
    },
    async grants(_token, caller, tools) {
      // Policies are fixed for the life of the process, so grants depend only on which are attached.
      const key = `${caller.policies.join(",")}|${tools.join(",")}`;
      let granted = grantMemo.get(key);
      if (!granted) {
        const attached = caller.policies
          .map((n) => policies.get(n))
          .filter((p): p is Policy => !!p);
        granted = new Set(tools.filter((t) => grantsTool(capabilitiesFor(attached, toolPath(t)))));
        grantMemo.set(key, granted);
      }
      return new Set(granted);
    },
    async tierGrants(tier, paths) {
      const policy = policies.get(tierPolicyName(tier));
      if (!policy) return new Set();
      return new Set(paths.filter((p) => grantsCommand(capabilitiesFor([policy], p))));
    },
    async issue({ agent_id, tier, ttl_ms }) {
      checkTokenTtl(ttl_ms);
      const token = `agov_${ids.secret(32)}`;
      const token_id = ids.next();
      const issued_at = clock.now();
      const expires_at = issued_at + (ttl_ms ?? TIER_TTL_MS[tier]);
      db.prepare(
        "INSERT INTO tokens (token_id, token_hash, agent_id, tier, issued_at, expires_at) VALUES (?, ?, ?, ?, ?, ?)",
      ).run(token_id, sha256(token), agent_id, tier, issued_at, expires_at);
      return { token, token_id, agent_id, tier, expires_at };
    },
    async revokeAgent(agentId) {
      return db
        .prepare("UPDATE tokens SET revoked_at = ? WHERE agent_id = ? AND revoked_at IS NULL")
        .run(clock.now(), agentId).changes;
    },
    async list(): Promise<TokenInfo[]> {
      const rows = db
        .prepare("SELECT * FROM tokens ORDER BY agent_id, issued_at")
        .all() as TokenRow[];
      return rows.map((r) => ({
        token_id: r.token_id,
        agent_id: r.agent_id,
        tier: r.tier as Tier,
        issued_at: r.issued_at,
        expires_at: r.expires_at,
        revoked: r.revoked_at !== null,
      }));
    },
    async tierOf(agentId) {
      const row = db
        .prepare(
          "SELECT MAX(tier) AS tier FROM tokens WHERE agent_id = ? AND revoked_at IS NULL AND expires_at > ?",
        )
        .get(agentId, clock.now()) as { tier: number | null };
      return isTier(row.tier) ? row.tier : null;
    },
    async setTier(agentId, tier) {
      db.prepare("UPDATE tokens SET tier = ? WHERE agent_id = ? AND revoked_at IS NULL").run(
        tier,
        agentId,
      );
    },
    async close() {
      db.close();
    },
  };
}
