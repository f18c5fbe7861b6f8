// The state behind the Vault double: service tokens with accessors, parents and real TTLs on an
// injectable clock, ACL policies evaluated by src/authority/policy.ts (Vault's path rules),
// AppRole roles and secret ids, and a KV v2 store. Shapes follow Vault's HTTP API docs.
import { randomBytes, randomUUID } from "node:crypto";
import {
  type Capability,
  capabilitiesFor,
  type Policy,
  parsePolicy,
} from "../../src/authority/policy.js";
import type { Clock } from "../../src/util/clock.js";

/** Vault's built-in `default` policy, reduced to the rules the double serves. */
export const DEFAULT_POLICY = `
path "auth/token/lookup-self" { capabilities = ["read"] }
path "auth/token/renew-self" { capabilities = ["update"] }
path "auth/token/revoke-self" { capabilities = ["update"] }
path "sys/capabilities-self" { capabilities = ["update"] }
path "sys/leases/renew" { capabilities = ["update"] }
path "cubbyhole/*" { capabilities = ["create", "read", "update", "delete", "list"] }
`;
/** A dev server's default_lease_ttl and max_lease_ttl (768h). */
export const SYSTEM_MAX_TTL = 2_764_800;

export interface Token {
  id: string;
  accessor: string;
  policies: string[];
  meta: Record<string, string> | null;
  parent: string | undefined;
  children: Set<string>;
  createdAt: number;
  /** TTL in seconds as issued (0: never expires, like a root token). */
  ttl: number;
  expiresAt: number;
  /** Hard end: creation + max TTL (explicit, role, or system). */
  maxAt: number;
  explicitMaxTtl: number;
  renewable: boolean;
  path: string;
  displayName: string;
  role: string | undefined;
}

export interface Role {
  name: string;
  roleId: string;
  tokenPolicies: string[];
  tokenTtl: number;
  tokenMaxTtl: number;
  tokenType: string;
  tokenNoDefaultPolicy: boolean;
  bindSecretId: boolean;
  secretIdTtl: number;
  secretIdNumUses: number;
  secrets: Map<
    string,
    { accessor: string; expiresAt: number; usesLeft: number; meta: Record<string, string> }
  >;
}

const rand = (n: number) => randomBytes(n).toString("base64url");

/** Vault durations: integer seconds, or Go-style strings such as "90s", "30m", "1h30m", "720h". */
export function durationSec(v: unknown): number | undefined {
  if (v === undefined || v === null || v === "") return undefined;
  if (typeof v === "number") return Math.floor(v);
  const s = String(v).trim();
  if (/^\d+$/.test(s)) return Number(s);
  const parts = [...s.matchAll(/(\d+(?:\.\d+)?)(h|m|s)/g)];
  if (parts.length === 0 || parts.map((p) => p[0]).join("") !== s) return Number.NaN;
  const unit = { h: 3600, m: 60, s: 1 } as const;
  return Math.floor(parts.reduce((t, p) => t + Number(p[1]) * unit[p[2] as "h" | "m" | "s"], 0));
}

export function createDoubleState(clock: Clock) {
  const tokens = new Map<string, Token>();
  const byAccessor = new Map<string, string>();
  const policies = new Map<string, { text: string; parsed: Policy }>([
    ["default", { text: DEFAULT_POLICY, parsed: parsePolicy("default", DEFAULT_POLICY) }],
  ]);
  const roles = new Map<string, Role>();
  const kv = new Map<string, Array<{ data: Record<string, unknown>; created: number }>>();
  const authMounts = new Set<string>(["token/"]);

  function revoke(id: string): void {
    const t = tokens.get(id);
    if (!t) return;
    for (const c of t.children) revoke(c);
    tokens.delete(id);
    byAccessor.delete(t.accessor);
    if (t.parent) tokens.get(t.parent)?.children.delete(id);
  }

  /** Vault's expiration manager: a token past its TTL is revoked (with its children). */
  function sweep(): void {
    const now = clock.now();
    for (const t of [...tokens.values()]) if (t.expiresAt <= now) revoke(t.id);
  }

  function createToken(o: {
    policies: string[];
    noDefault?: boolean;
    meta?: Record<string, string> | null;
    ttl?: number | undefined;
    maxTtl?: number | undefined;
    explicitMaxTtl?: number;
    renewable?: boolean;
    parent?: string | undefined;
    path: string;
    displayName: string;
    role?: string;
    id?: string;
  }): Token {
    const now = clock.now();
    const names = new Set(o.policies.map((p) => p.trim().toLowerCase()).filter(Boolean));
    if (!names.has("root") && !o.noDefault) names.add("default");
    const root = names.has("root");
    const maxTtl = o.explicitMaxTtl || o.maxTtl || SYSTEM_MAX_TTL;
    const ttl = root && !o.ttl ? 0 : Math.min(o.ttl || SYSTEM_MAX_TTL, maxTtl);
    const t: Token = {
      id: o.id ?? `hvs.${rand(24)}`,
      accessor: rand(18),
      policies: [...names].sort(),
      meta: o.meta ?? null,
      parent: o.parent,
      children: new Set(),
      createdAt: now,
      ttl,
      expiresAt: ttl ? now + ttl * 1000 : Number.POSITIVE_INFINITY,
      maxAt: ttl ? now + maxTtl * 1000 : Number.POSITIVE_INFINITY,
      explicitMaxTtl: o.explicitMaxTtl ?? 0,
      renewable: ttl > 0 && o.renewable !== false,
      path: o.path,
      displayName: o.displayName,
      role: o.role,
    };
    tokens.set(t.id, t);
    byAccessor.set(t.accessor, t.id);
    if (o.parent) tokens.get(o.parent)?.children.add(t.id);
    return t;
  }

  function capabilities(t: Token, path: string): Capability[] | ["root"] {
    if (t.policies.includes("root")) return ["root"];
    const attached = t.policies.map((n) => policies.get(n)?.parsed).filter((p): p is Policy => !!p);
    return capabilitiesFor(attached, path);
  }

  const ttlLeft = (t: Token) =>
    t.ttl ? Math.max(0, Math.floor((t.expiresAt - clock.now()) / 1000)) : 0;

  /** `data` of lookup-self / lookup-accessor (the accessor form never shows the token). */
  function lookupData(t: Token, withId: boolean) {
    const iso = (ms: number) => new Date(ms).toISOString();
    return {
      accessor: t.accessor,
      creation_time: Math.floor(t.createdAt / 1000),
      creation_ttl: t.ttl,
      display_name: t.displayName,
      entity_id: "",
      expire_time: t.ttl ? iso(t.expiresAt) : null,
      explicit_max_ttl: t.explicitMaxTtl,
      id: withId ? t.id : "",
      identity_policies: [],
      issue_time: iso(t.createdAt),
      meta: t.meta,
      num_uses: 0,
      orphan: !t.parent,
      path: t.path,
      policies: t.policies,
      renewable: t.renewable,
      ttl: ttlLeft(t),
      type: "service",
    };
  }

  /** The `auth` block of a login, token create or renewal. */
  function authBlock(t: Token, withToken = true) {
    return {
      client_token: withToken ? t.id : "",
      accessor: t.accessor,
      policies: t.policies,
      token_policies: t.policies,
      metadata: t.meta,
      lease_duration: ttlLeft(t),
      renewable: t.renewable,
      entity_id: "",
      token_type: "service",
      orphan: !t.parent,
      mfa_requirement: null,
      num_uses: 0,
    };
  }

  return {
    tokens,
    byAccessor,
    policies,
    roles,
    kv,
    authMounts,
    clock,
    revoke,
    sweep,
    createToken,
    capabilities,
    lookupData,
    authBlock,
    ttlLeft,
    newRoleId: () => randomUUID(),
    newSecret: () => ({ secret: randomUUID(), accessor: randomUUID() }),
  };
}

export type DoubleState = ReturnType<typeof createDoubleState>;
