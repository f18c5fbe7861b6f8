// The token auth method of the Vault double: lookup-self, renew-self, revoke-self, create (with
// Vault's rule that a child's policies are a subset of its parent's unless root or sudo),
// and the accessor endpoints (list, lookup, revoke) that never reveal a token.
import {
  acl,
  bad,
  noContent,
  ok,
  type Reply,
  type Req,
  strings,
  VaultErr,
} from "./vault-double-routes.js";
import { type DoubleState, durationSec, type Token } from "./vault-double-state.js";

export function tokenRoute(s: DoubleState, req: Req): Reply {
  const { method, path, body } = req;
  const op = path.slice("auth/token/".length);
  if (op === "lookup-self" && method === "GET") {
    const t = acl(s, req, path, ["read"]);
    return ok(path, s.lookupData(t, true));
  }
  if (op === "renew-self" && method === "POST")
    return renew(s, acl(s, req, path, ["update"]), body);
  if (op === "revoke-self" && method === "POST") {
    s.revoke(acl(s, req, path, ["update"]).id);
    return noContent;
  }
  if (op === "accessors") {
    if (method !== "LIST") throw new VaultErr(405, ["unsupported operation"]);
    acl(s, req, path, ["list"], true);
    return ok(path, { keys: [...s.byAccessor.keys()] });
  }
  if ((op === "lookup-accessor" || op === "revoke-accessor") && method === "POST") {
    acl(s, req, path, ["update"]);
    const id = s.byAccessor.get(String(body.accessor ?? ""));
    const t = id ? s.tokens.get(id) : undefined;
    if (!t) throw bad("invalid accessor");
    if (op === "revoke-accessor") {
      s.revoke(t.id);
      return noContent;
    }
    return ok(path, s.lookupData(t, false));
  }
  if (op === "create" && method === "POST") return create(s, req);
  throw new VaultErr(404, [`no handler for route "${path}". route entry not found.`]);
}

/** auth/token/create: a sub-set of the caller's policies, unless root or sudo on the path. */
function create(s: DoubleState, req: Req): Reply {
  const parent = acl(s, req, req.path, ["create", "update"]);
  const { body } = req;
  const caps = s.capabilities(parent, req.path) as string[];
  const root = caps.includes("root");
  const sudo = root || caps.includes("sudo");
  const asked = body.policies === undefined ? undefined : strings(body.policies);
  const policies = asked ?? parent.policies;
  const held = (p: string) => p === "default" || parent.policies.includes(p);
  if (!sudo && !policies.every(held)) throw bad("child policies must be subset of parent");
  if (policies.includes("root") && !root)
    throw bad("root tokens may not be created without a root parent");
  const ttl = durationSec(body.ttl);
  const explicit = durationSec(body.explicit_max_ttl);
  if (Number.isNaN(ttl) || Number.isNaN(explicit)) throw bad("invalid duration");
  const meta = (body.meta ?? null) as Record<string, string> | null;
  const t = s.createToken({
    policies,
    noDefault: body.no_default_policy === true,
    meta: meta && Object.keys(meta).length ? meta : null,
    ttl,
    explicitMaxTtl: explicit ?? 0,
    renewable: body.renewable !== false,
    parent: sudo && body.no_parent === true ? undefined : parent.id,
    path: "auth/token/create",
    displayName: `token${body.display_name ? `-${String(body.display_name)}` : ""}`,
  });
  const warnings = t.policies
    .filter((p) => p !== "default" && p !== "root" && !s.policies.has(p))
    .map((p) => `Policy "${p}" does not exist`);
  return ok(req.path, null, { auth: s.authBlock(t), warnings });
}

function renew(s: DoubleState, t: Token, body: Record<string, unknown>): Reply {
  if (!t.renewable) throw bad("lease is not renewable");
  const now = s.clock.now();
  const role = t.role ? s.roles.get(t.role) : undefined;
  if (t.role && !role) throw bad(`role "${t.role}" does not exist during renewal`);
  const wanted = durationSec(body.increment) || role?.tokenTtl || t.ttl;
  const warnings: string[] = [];
  let expiresAt = now + wanted * 1000;
  if (expiresAt > t.maxAt) {
    expiresAt = t.maxAt;
    warnings.push(
      "TTL of the token exceeded the effective max_ttl; TTL value is capped accordingly",
    );
  }
  t.expiresAt = expiresAt;
  return ok("auth/token/renew-self", null, { auth: s.authBlock(t, true), warnings });
}
