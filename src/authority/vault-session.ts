// The gateway's own Vault token: taken from VAULT_TOKEN or obtained by an AppRole login, renewed
// once two thirds of its TTL have passed, and replaced by a new login when it can no longer renew.
import type { Clock } from "../util/clock.js";
import { AgovError } from "../util/errors.js";
import { createVaultHttp, isVaultStatus, type VaultBody, type VaultHttp } from "./vault-client.js";

export interface ServerSession {
  /** Whether it was given any credentials at all (VAULT_TOKEN, or a role id and secret id). */
  readonly configured: boolean;
  /** A live token for the gateway's own requests (revoke, roles, token create). */
  token(): Promise<string>;
  /** Gives up the current token (revoking it if it came from a login); the next use starts over. */
  discard(): Promise<void>;
  close(): void;
}

interface Held {
  token: string;
  /** The TTL it was last given, in ms; 0 for a token that never expires (a root token). */
  ttlMs: number;
  /** When to renew (or log in again): two thirds into the TTL. */
  renewAt: number;
  expiresAt: number;
  renewable: boolean;
}

export function createServerSession(opts: {
  http: VaultHttp;
  clock: Clock;
  token?: string | undefined;
  roleId?: string | undefined;
  secretId?: string | undefined;
  mount?: string;
  /** How often to check whether renewal is due; 0 checks only when the token is used. */
  checkEveryMs?: number;
  /** false: keep the first login's token (renewing it while Vault allows) instead of logging in again. */
  relogin?: boolean;
}): ServerSession {
  const { http, clock } = opts;
  const mount = opts.mount ?? "approle";
  let held: Held | undefined;
  let pending: Promise<string> | undefined;

  const hold = (token: string, ttlSec: number, renewable: boolean): Held => {
    const now = clock.now();
    const ttlMs = ttlSec * 1000;
    if (ttlMs <= 0) return { token, ttlMs: 0, renewAt: Infinity, expiresAt: Infinity, renewable };
    return { token, ttlMs, renewAt: now + (ttlMs * 2) / 3, expiresAt: now + ttlMs, renewable };
  };

  async function login(): Promise<Held> {
    const res = await http.write(`auth/${mount}/login`, {
      role_id: opts.roleId,
      secret_id: opts.secretId,
    });
    const auth = (res.auth ?? {}) as VaultBody;
    if (typeof auth.client_token !== "string")
      throw new AgovError("UNAVAILABLE", "Vault AppRole login returned no token");
    return hold(auth.client_token, Number(auth.lease_duration ?? 0), auth.renewable === true);
  }

  async function learn(token: string): Promise<Held> {
    const data = ((await http.read("auth/token/lookup-self", token)).data ?? {}) as VaultBody;
    return hold(token, Number(data.ttl ?? 0), data.renewable === true);
  }

  async function renew(h: Held): Promise<Held | undefined> {
    try {
      const res = await http.write("auth/token/renew-self", {}, h.token);
      const auth = (res.auth ?? {}) as VaultBody;
      return hold(h.token, Number(auth.lease_duration ?? 0), auth.renewable === true);
    } catch (err) {
      if (isVaultStatus(err, 400, 403)) return undefined;
      throw err;
    }
  }

  /** Vault turning down the credentials themselves is not retryable: say which ones. */
  async function refused<T>(what: string, attempt: Promise<T>): Promise<T> {
    try {
      return await attempt;
    } catch (err) {
      if (!isVaultStatus(err, 400, 403)) throw err;
      throw new AgovError(
        "UNAUTHENTICATED",
        `${what} (${err.errors.join("; ") || err.status}): check VAULT_TOKEN, or VAULT_ROLE_ID and VAULT_SECRET_ID`,
      );
    }
  }

  async function refresh(): Promise<string> {
    const canLogin = !!(opts.roleId && opts.secretId);
    const mayRelogin = canLogin && opts.relogin !== false;
    if (!held) {
      if (opts.token)
        held = await refused("VAULT_TOKEN is not a token Vault accepts", learn(opts.token));
      else if (canLogin) held = await refused("Vault refused the AppRole login", login());
      else
        throw new AgovError(
          "UNAUTHENTICATED",
          "agov has no Vault credentials of its own: set VAULT_TOKEN, or VAULT_ROLE_ID and VAULT_SECRET_ID of the agov-server role",
        );
    }
    const now = clock.now();
    if (now < held.renewAt) return held.token;
    const renewed = held.renewable && now < held.expiresAt ? await renew(held) : undefined;
    // Near token_max_ttl a renewal gives back only a sliver of the TTL; a fresh login (when we
    // can) is then the way to stay ahead of the expiry.
    if (renewed && renewed.ttlMs * 3 >= held.ttlMs) held = renewed;
    else if (mayRelogin) held = await refused("Vault refused the AppRole login", login());
    else if (renewed) held = renewed;
    else if (now >= held.expiresAt)
      throw new AgovError(
        "UNAUTHENTICATED",
        "agov's own Vault token (VAULT_TOKEN) has expired and cannot be renewed: give it a new one",
      );
    return held.token;
  }

  function token(): Promise<string> {
    // One refresh at a time: concurrent callers share the same login or renewal.
    pending ??= refresh().finally(() => {
      pending = undefined;
    });
    return pending;
  }

  const every = opts.checkEveryMs ?? 30_000;
  const timer =
    every > 0 && (opts.token || opts.roleId)
      ? setInterval(() => {
          if (held && clock.now() >= held.renewAt) token().catch(() => {});
        }, every)
      : undefined;
  timer?.unref();

  return {
    configured: !!(opts.token || (opts.roleId && opts.secretId)),
    token,
    async discard() {
      const h = held;
      held = undefined;
      if (h && !opts.token)
        await http.write("auth/token/revoke-self", {}, h.token).catch(() => undefined);
    },
    close() {
      if (timer) clearInterval(timer);
    },
  };
}

/**
 * Logs an agent in with its AppRole for `agov serve` over stdio, and keeps that one token renewed
 * (up to the role's token_max_ttl) for as long as the session lives.
 */
export async function agentLogin(opts: {
  addr: string;
  roleId: string;
  secretId: string;
  clock: Clock;
  timeoutMs?: number;
}): Promise<{ token: string; close(): void }> {
  const http = createVaultHttp(opts.addr, opts.timeoutMs ?? 5000);
  const session = createServerSession({ ...opts, http, relogin: false });
  try {
    return { token: await session.token(), close: () => session.close() };
  } catch (err) {
    session.close();
    throw err;
  }
}
