// What each configured port is to the health manager: its engine, its address, how messages name
// it and its light probe. Shared with `agov doctor`, which asks the same questions once.
import type { Authority } from "../authority/index.js";
import type { Config } from "../config/index.js";
import type { StateStore } from "../state/index.js";
import { AgovError } from "../util/errors.js";
import type { DependencySpec } from "./index.js";

/** host:port of a URL without credentials; a vault:<path> setting names the secret instead. */
export function address(url: string, defaultPort: string): string {
  if (url.startsWith("vault:")) return `the address in Vault secret ${url.slice(6)}`;
  try {
    const u = new URL(url);
    return `${u.hostname}:${u.port || defaultPort}`;
  } catch {
    return url;
  }
}

const PROBE_KEY = "agov:health-probe";

export function stateDependency(config: Config, store: StateStore): DependencySpec {
  const redis = store.kind === "redis";
  const target = redis ? address(config.redis_url, "6379") : `${config.home}/state.db`;
  return {
    name: "state",
    kind: store.kind,
    target,
    label: redis ? `state store (redis at ${target})` : "state store (sqlite)",
    critical: true,
    // One read of a key nobody holds: cheap on either engine, and it crosses the connection.
    probe: () => store.locks.status(PROBE_KEY),
  };
}

export function authorityDependency(config: Config, authority: Authority): DependencySpec {
  if (authority.kind === "vault" && config.vault_addr) {
    const addr = config.vault_addr;
    return {
      name: "authority",
      kind: "vault",
      target: addr,
      label: `authority (vault at ${addr})`,
      critical: true,
      probe: () => vaultHealth(addr),
    };
  }
  return {
    name: "authority",
    kind: authority.kind,
    label: `authority (${authority.kind})`,
    critical: true,
    probe: () => authority.tierOf(PROBE_KEY),
  };
}

/**
 * Vault's unauthenticated sys/health: 200 active, 429 standby, 472/473 performance standby all
 * answer requests; 501 (not initialised) and 503 (sealed) do not.
 */
export async function vaultHealth(addr: string, timeoutMs = 3000): Promise<void> {
  const url = `${addr.replace(/\/$/, "")}/v1/sys/health`;
  let status: number;
  try {
    const res = await fetch(url, { signal: AbortSignal.timeout(timeoutMs) });
    status = res.status;
    await res.body?.cancel();
  } catch (err) {
    const cause = (err as { cause?: { code?: string } }).cause?.code ?? (err as Error).message;
    throw new AgovError("UNAVAILABLE", `Vault at ${addr} is unreachable (${cause})`);
  }
  if ([200, 429, 472, 473].includes(status)) return;
  const why = status === 503 ? "sealed" : status === 501 ? "not initialised" : `status ${status}`;
  throw new AgovError("UNAVAILABLE", `Vault at ${addr} cannot answer (${why})`);
}
