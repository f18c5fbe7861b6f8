// The AppRole auth method of the Vault double (mounted at auth/approle/ once enabled through
// sys/auth): roles written with token_* fields, role ids, secret ids with TTL and use counts, and
// login, whose token carries metadata.role_name as Vault's does.
import {
  acl,
  bad,
  missing,
  noContent,
  ok,
  type Reply,
  type Req,
  VaultErr,
} from "./vault-double-routes.js";
import { type DoubleState, durationSec, type Role } from "./vault-double-state.js";

const TOKEN_TYPES = ["service", "batch", "default", "default-service", "default-batch"];

export function approleRoutes(s: DoubleState, req: Req): Reply {
  const { method, path, body } = req;
  const rest = path.slice("auth/approle/".length);
  if (rest === "login" && method === "POST") return login(s, body);
  if (rest === "role" && method === "LIST") {
    acl(s, req, path, ["list"]);
    return ok(path, { keys: [...s.roles.keys()].sort() });
  }
  const m = /^role\/([^/]+)(?:\/(role-id|secret-id))?$/.exec(rest);
  if (!m) throw new VaultErr(404, [`no handler for route "${path}". route entry not found.`]);
  const name = m[1]!;
  const sub = m[2];
  const role = s.roles.get(name);
  if (sub === "role-id") {
    acl(s, req, path, ["read"]);
    if (!role) throw missing();
    return ok(path, { role_id: role.roleId });
  }
  if (sub === "secret-id") {
    if (method === "LIST") {
      acl(s, req, path, ["list"]);
      if (!role) throw missing();
      return ok(path, { keys: [...role.secrets.values()].map((x) => x.accessor) });
    }
    acl(s, req, path, ["create", "update"]);
    if (!role) throw bad(`role "${name}" does not exist`);
    return issueSecret(s, role, body, path);
  }
  if (method === "GET") {
    acl(s, req, path, ["read"]);
    if (!role) throw missing();
    return ok(path, roleData(role));
  }
  if (method === "DELETE") {
    acl(s, req, path, ["delete"]);
    s.roles.delete(name);
    return noContent;
  }
  if (method !== "POST") throw new VaultErr(405, ["unsupported operation"]);
  acl(s, req, path, [role ? "update" : "create"]);
  writeRole(s, name, role, body);
  return noContent;
}

function writeRole(
  s: DoubleState,
  name: string,
  role: Role | undefined,
  body: Record<string, unknown>,
) {
  if (!/^[\w. -]{1,4096}$/.test(name)) throw bad(`invalid role name "${name}"`);
  const num = (key: string, fallback: number) => {
    const v = durationSec(body[key]);
    if (Number.isNaN(v)) throw bad(`invalid value for ${key}`);
    return v ?? fallback;
  };
  const listed = body.token_policies ?? body.policies;
  const r: Role = {
    name,
    roleId: role?.roleId ?? s.newRoleId(),
    tokenPolicies:
      listed === undefined
        ? (role?.tokenPolicies ?? [])
        : (Array.isArray(listed) ? listed.map(String) : String(listed).split(","))
            .map((p) => p.trim().toLowerCase())
            .filter(Boolean),
    tokenTtl: num("token_ttl", role?.tokenTtl ?? 0),
    tokenMaxTtl: num("token_max_ttl", role?.tokenMaxTtl ?? 0),
    tokenType: String(body.token_type ?? role?.tokenType ?? "default"),
    tokenNoDefaultPolicy: Boolean(
      body.token_no_default_policy ?? role?.tokenNoDefaultPolicy ?? false,
    ),
    bindSecretId: Boolean(body.bind_secret_id ?? role?.bindSecretId ?? true),
    secretIdTtl: num("secret_id_ttl", role?.secretIdTtl ?? 0),
    secretIdNumUses: num("secret_id_num_uses", role?.secretIdNumUses ?? 0),
    secrets: role?.secrets ?? new Map(),
  };
  if (!TOKEN_TYPES.includes(r.tokenType)) throw bad(`invalid 'token_type' value "${r.tokenType}"`);
  if (r.tokenMaxTtl > 0 && r.tokenTtl > r.tokenMaxTtl)
    throw bad("token_ttl should not be greater than token_max_ttl");
  if (!r.bindSecretId) throw bad("at least one constraint should be enabled on the role");
  s.roles.set(name, r);
}

function roleData(r: Role) {
  return {
    bind_secret_id: r.bindSecretId,
    local_secret_ids: false,
    period: 0,
    policies: r.tokenPolicies,
    secret_id_bound_cidrs: null,
    secret_id_num_uses: r.secretIdNumUses,
    secret_id_ttl: r.secretIdTtl,
    token_bound_cidrs: [],
    token_explicit_max_ttl: 0,
    token_max_ttl: r.tokenMaxTtl,
    token_no_default_policy: r.tokenNoDefaultPolicy,
    token_num_uses: 0,
    token_period: 0,
    token_policies: r.tokenPolicies,
    token_ttl: r.tokenTtl,
    token_type: r.tokenType,
  };
}

function issueSecret(
  s: DoubleState,
  role: Role,
  body: Record<string, unknown>,
  path: string,
): Reply {
  const ttl = durationSec(body.ttl) ?? role.secretIdTtl;
  const uses = Number(body.num_uses ?? role.secretIdNumUses);
  let meta: Record<string, string> = {};
  if (typeof body.metadata === "string" && body.metadata) {
    try {
      meta = JSON.parse(body.metadata) as Record<string, string>;
    } catch {
      throw bad("failed to parse metadata");
    }
  }
  const { secret, accessor } = s.newSecret();
  const expiresAt = ttl ? s.clock.now() + ttl * 1000 : Number.POSITIVE_INFINITY;
  role.secrets.set(secret, { accessor, expiresAt, usesLeft: uses, meta });
  return ok(path, {
    secret_id: secret,
    secret_id_accessor: accessor,
    secret_id_ttl: ttl,
    secret_id_num_uses: uses,
  });
}

function login(s: DoubleState, body: Record<string, unknown>): Reply {
  const roleId = String(body.role_id ?? "").trim();
  if (!roleId) throw bad("missing role_id");
  const role = [...s.roles.values()].find((r) => r.roleId === roleId);
  if (!role) throw bad("invalid role or secret ID");
  const secretId = String(body.secret_id ?? "").trim();
  if (!secretId) throw bad("missing secret_id");
  const secret = role.secrets.get(secretId);
  if (!secret || secret.expiresAt <= s.clock.now()) {
    if (secret) role.secrets.delete(secretId);
    throw bad("invalid role or secret ID");
  }
  if (secret.usesLeft === 1) role.secrets.delete(secretId);
  else if (secret.usesLeft > 1) secret.usesLeft--;
  const t = s.createToken({
    policies: role.tokenPolicies,
    noDefault: role.tokenNoDefaultPolicy,
    meta: { ...secret.meta, role_name: role.name },
    ttl: role.tokenTtl || undefined,
    maxTtl: role.tokenMaxTtl || undefined,
    path: "auth/approle/login",
    displayName: "approle",
    role: role.name,
  });
  return ok("auth/approle/login", null, { auth: s.authBlock(t) });
}
