// Setting up a Vault for agov: writes policies/*.hcl as ACL policies, enables the AppRole auth
// mount, and writes one AppRole role per agent (role_name = agent id) holding its tier's policy.
import { existsSync, readdirSync, readFileSync } from "node:fs";
import { join } from "node:path";
import { AgovError } from "../util/errors.js";
import { TIER_TTL_MS, type Tier, tierPolicyName } from "./index.js";
import { parsePolicy } from "./policy.js";
import { toSeconds, type VaultBody, type VaultHttp, vaultOperation } from "./vault-client.js";

export const APPROLE_MOUNT = "approle";
export const SERVER_ROLE = "agov-server";
/**
 * token_max_ttl is four times the tier's token_ttl (T0 4h, T1–T2 2h, T3–T4 1h). Equal values would
 * forbid renewal, so a long-running agent would have to hold its secret id and log in again every
 * 15–60 minutes; four times bounds how long any token, renewed or not, can outlive its login.
 */
export const MAX_TTL_FACTOR = 4;
/** A secret id printed by `agov agent create` stops working after 30 days; create another. */
export const SECRET_ID_TTL = "720h";
/** What Vault accepts as an AppRole name, minus the space. */
export const ROLE_NAME = /^[A-Za-z0-9._-]{1,200}$/;

/** An operator can attach extra rules (such as a `deny`) to one agent without touching its tier. */
export const agentPolicyName = (agentId: string) => `agent-${agentId.toLowerCase()}`;

export function agentRoleBody(agentId: string, tier: Tier): VaultBody {
  return {
    token_policies: [tierPolicyName(tier), agentPolicyName(agentId)],
    token_ttl: toSeconds(TIER_TTL_MS[tier]),
    token_max_ttl: toSeconds(TIER_TTL_MS[tier] * MAX_TTL_FACTOR),
    // Batch tokens have no accessor, so they could not be revoked one agent at a time.
    token_type: "service",
    bind_secret_id: true,
    secret_id_ttl: SECRET_ID_TTL,
  };
}

const SERVER_ROLE_BODY: VaultBody = {
  token_policies: [SERVER_ROLE],
  token_ttl: 3600,
  token_max_ttl: 86_400,
  token_type: "service",
  bind_secret_id: true,
  secret_id_ttl: SECRET_ID_TTL,
};

/** Policy files by name; a later folder's file replaces an earlier one of the same name. */
export function readPolicyFiles(dirs: readonly string[]): Map<string, string> {
  const out = new Map<string, string>();
  for (const dir of dirs) {
    if (!existsSync(dir)) continue;
    for (const file of readdirSync(dir).sort()) {
      if (!file.endsWith(".hcl")) continue;
      const name = file.slice(0, -4);
      const text = readFileSync(join(dir, file), "utf8");
      parsePolicy(name, text); // a broken file stops here, naming its line, before Vault sees it
      out.set(name, text);
    }
  }
  return out;
}

export async function applyPolicies(
  http: VaultHttp,
  token: string,
  dirs: readonly string[],
): Promise<{ written: string[]; enabledAppRole: boolean }> {
  const files = readPolicyFiles(dirs);
  for (let t = 0; t <= 4; t++)
    if (!files.has(tierPolicyName(t)))
      throw new AgovError(
        "NOT_FOUND",
        `policy ${tierPolicyName(t)}.hcl not found in ${dirs.join(", ")}`,
      );
  for (const [name, policy] of files)
    await vaultOperation(`write policy ${name}`, () =>
      http.write(`sys/policies/acl/${name}`, { policy }, token),
    );
  const mounts = await vaultOperation("list auth methods", () => http.read("sys/auth", token));
  const data = (mounts.data ?? mounts) as VaultBody;
  const enabledAppRole = !(`${APPROLE_MOUNT}/` in data);
  if (enabledAppRole)
    await vaultOperation("enable the AppRole auth method", () =>
      http.write(
        `sys/auth/${APPROLE_MOUNT}`,
        { type: "approle", description: "agov agents and the agov gateway" },
        token,
      ),
    );
  return { written: [...files.keys()], enabledAppRole };
}

export interface CreatedRole {
  role: string;
  role_id: string;
  secret_id: string;
  secret_id_accessor: string;
  token_policies: string[];
  token_ttl: number;
  token_max_ttl: number;
}

/** Writes (or rewrites) an agent's role, or the gateway's own with `server`, and issues a secret id. */
export async function createRole(
  http: VaultHttp,
  token: string,
  who: { agentId: string; tier: Tier } | { server: true },
): Promise<CreatedRole> {
  const role = "server" in who ? SERVER_ROLE : who.agentId;
  if (!ROLE_NAME.test(role))
    throw new AgovError(
      "INVALID_INPUT",
      `"${role}" cannot be an AppRole name: use letters, digits, '.', '_' and '-'`,
    );
  const body = "server" in who ? SERVER_ROLE_BODY : agentRoleBody(who.agentId, who.tier);
  const base = `auth/${APPROLE_MOUNT}/role/${role}`;
  // A plain write of the role: node-vault's addApproleRole would drop token_policies and token_*.
  await vaultOperation(`write AppRole role ${role}`, () => http.write(base, body, token));
  const ids = await vaultOperation(`read the role id of ${role}`, () =>
    http.read(`${base}/role-id`, token),
  );
  const secret = await vaultOperation(`issue a secret id for ${role}`, () =>
    http.write(`${base}/secret-id`, { metadata: JSON.stringify({ issued_by: "agov" }) }, token),
  );
  const idData = (ids.data ?? {}) as VaultBody;
  const secretData = (secret.data ?? {}) as VaultBody;
  return {
    role,
    role_id: String(idData.role_id ?? ""),
    secret_id: String(secretData.secret_id ?? ""),
    secret_id_accessor: String(secretData.secret_id_accessor ?? ""),
    token_policies: body.token_policies as string[],
    token_ttl: body.token_ttl as number,
    token_max_ttl: body.token_max_ttl as number,
  };
}
