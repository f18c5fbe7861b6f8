// The endpoints of the Vault double, each answering as Vault's HTTP API documentation shows:
// token auth, AppRole, sys/capabilities-self, sys/policies/acl, sys/auth and KV v2 reads/writes.
// Every authenticated request passes the same ACL check Vault makes (capability, plus sudo on
// root-protected paths).
import { PolicyParseError, parsePolicy } from "../../src/authority/policy.js";
import { approleRoutes } from "./vault-double-approle.js";
import type { DoubleState, Token } from "./vault-double-state.js";
import { tokenRoute } from "./vault-double-token.js";

export class VaultErr extends Error {
  constructor(
    readonly status: number,
    readonly errors: string[],
  ) {
    super(errors.join("; "));
  }
}
export const denied = () => new VaultErr(403, ["1 error occurred:\n\t* permission denied\n\n"]);
export const bad = (msg: string) => new VaultErr(400, [msg]);
export const missing = () => new VaultErr(404, []);

export interface Req {
  method: "GET" | "LIST" | "POST" | "DELETE";
  path: string;
  body: Record<string, unknown>;
  token: Token | undefined;
}
export interface Reply {
  status: number;
  body?: unknown;
}

/** Vault's response envelope; sys/ endpoints also repeat `data` at the top level, as Vault does. */
export function ok(
  path: string,
  data: Record<string, unknown> | null,
  extra: { auth?: unknown; warnings?: string[] } = {},
): Reply {
  const body = {
    request_id: crypto.randomUUID(),
    lease_id: "",
    renewable: false,
    lease_duration: 0,
    data,
    wrap_info: null,
    warnings: extra.warnings?.length ? extra.warnings : null,
    auth: extra.auth ?? null,
    mount_type: path.startsWith("auth/") ? path.split("/")[1] : path.split("/")[0],
  };
  return { status: 200, body: path.startsWith("sys/") && data ? { ...data, ...body } : body };
}
export const noContent: Reply = { status: 204 };

/** Checks the caller's capability on `path` (and sudo where Vault demands it). */
export function acl(s: DoubleState, req: Req, path: string, caps: string[], sudo = false): Token {
  const t = req.token;
  if (!t) throw denied();
  const have = s.capabilities(t, path) as string[];
  if (have.includes("root")) return t;
  if (have.includes("deny") || !caps.some((c) => have.includes(c))) throw denied();
  if (sudo && !have.includes("sudo")) throw denied();
  return t;
}

export const strings = (v: unknown): string[] =>
  Array.isArray(v)
    ? v.map(String)
    : typeof v === "string" && v
      ? v.split(",").map((x) => x.trim())
      : [];

export function route(s: DoubleState, req: Req): Reply {
  const { method, path, body } = req;
  if (path.startsWith("auth/approle/")) {
    if (!s.authMounts.has("approle/"))
      throw new VaultErr(404, [`no handler for route "${path}". route entry not found.`]);
    return approleRoutes(s, req);
  }
  if (path === "sys/capabilities-self" && method === "POST") {
    const t = acl(s, req, path, ["update"]);
    const paths = body.paths !== undefined ? strings(body.paths) : strings(body.path);
    if (paths.length === 0) throw bad("missing paths");
    const data: Record<string, unknown> = {};
    for (const p of paths) data[p] = s.capabilities(t, p);
    if (paths.length === 1) data.capabilities = data[paths[0]!];
    return ok(path, data);
  }
  if (path === "sys/policies/acl" && method === "LIST") {
    acl(s, req, path, ["list"]);
    return ok(path, { keys: [...s.policies.keys(), "root"].sort() });
  }
  const policy = /^sys\/policies\/acl\/([^/]+)$/.exec(path);
  if (policy) return policyRoute(s, req, policy[1]!.toLowerCase());
  if (path === "sys/auth" && method === "GET") {
    acl(s, req, path, ["read"]);
    const data: Record<string, unknown> = {};
    for (const m of s.authMounts)
      data[m] = {
        type: m.slice(0, -1),
        accessor: `auth_${m.slice(0, -1)}_0a1b2c3d`,
        description: m === "token/" ? "token based credentials" : "",
        config: { default_lease_ttl: 0, max_lease_ttl: 0, token_type: "default-service" },
        local: false,
        seal_wrap: false,
        options: null,
      };
    return ok(path, data);
  }
  const mount = /^sys\/auth\/([^/]+)$/.exec(path);
  if (mount && method === "POST") {
    acl(s, req, path, ["create", "update"], true);
    if (body.type !== "approle") throw bad(`plugin not found in the catalog: ${body.type}`);
    if (s.authMounts.has(`${mount[1]}/`)) throw bad(`path is already in use at ${mount[1]}/`);
    s.authMounts.add(`${mount[1]}/`);
    return noContent;
  }
  if (path.startsWith("auth/token/")) return tokenRoute(s, req);
  const kv = /^secret\/data\/(.+)$/.exec(path);
  if (kv) return kvRoute(s, req, kv[1]!);
  throw new VaultErr(404, [`no handler for route "${path}". route entry not found.`]);
}

function policyRoute(s: DoubleState, req: Req, name: string): Reply {
  const { method, path, body } = req;
  const existing = s.policies.get(name);
  if (method === "GET") {
    acl(s, req, path, ["read"]);
    if (!existing) throw missing();
    return ok(path, { name, policy: existing.text });
  }
  if (method === "DELETE") {
    acl(s, req, path, ["delete"]);
    if (name === "default" || name === "root") throw bad(`cannot delete "${name}" policy`);
    s.policies.delete(name);
    return noContent;
  }
  if (method !== "POST") throw new VaultErr(405, ["unsupported operation"]);
  acl(s, req, path, [existing ? "update" : "create"]);
  if (name === "root") throw bad('cannot update "root" policy');
  let text = String(body.policy ?? "");
  if (!text) throw bad("'policy' parameter not supplied or empty");
  // The API accepts the policy base64-encoded as well as plain.
  if (!/[{"]/.test(text)) text = Buffer.from(text, "base64").toString("utf8");
  try {
    s.policies.set(name, { text, parsed: parsePolicy(name, text) });
  } catch (err) {
    if (err instanceof PolicyParseError) throw bad(`failed to parse policy: ${err.message}`);
    throw err;
  }
  return noContent;
}

function kvRoute(s: DoubleState, req: Req, key: string): Reply {
  const versions = s.kv.get(key) ?? [];
  const meta = (v: number) => ({
    created_time: new Date(versions[v - 1]!.created).toISOString(),
    custom_metadata: null,
    deletion_time: "",
    destroyed: false,
    version: v,
  });
  if (req.method === "GET") {
    acl(s, req, req.path, ["read"]);
    if (versions.length === 0) throw missing();
    return ok(req.path, { data: versions.at(-1)!.data, metadata: meta(versions.length) });
  }
  if (req.method !== "POST") throw new VaultErr(405, ["unsupported operation"]);
  acl(s, req, req.path, [versions.length ? "update" : "create"]);
  const data = req.body.data;
  if (!data || typeof data !== "object") throw bad("no data provided");
  // Check-and-set: options.cas must equal the current version (0: the secret must not exist yet).
  const cas = (req.body.options as { cas?: unknown } | undefined)?.cas;
  if (typeof cas === "number" && cas !== versions.length)
    throw bad("check-and-set parameter did not match the current version");
  versions.push({ data: data as Record<string, unknown>, created: s.clock.now() });
  s.kv.set(key, versions);
  return ok(req.path, meta(versions.length));
}
