// DNS-rebinding protection for /mcp, a MUST of the MCP Streamable HTTP transport: a web page whose
// name an attacker re-points at this machine reaches the port with its own name in Host and its
// own origin in Origin, so both must be names this server answers to. The SDK's
// hostHeaderValidation middleware ignores the port and Origin and is shaped for Express; this is
// the same check on node:http with both, and with the port.
import { clip } from "../util/text.js";

export interface HostRules {
  /** Why the request's Host or Origin is refused, or null when both are allowed. */
  problem(headers: { host?: string | undefined; origin?: string | undefined }): string | null;
  /** The Host values accepted, for the start-up log. */
  hosts: readonly string[];
}

interface Rule {
  hostname: string;
  /** Undefined: any port. */
  port: string | undefined;
}

const LOOPBACK_NAMES = ["localhost", "127.0.0.1", "[::1]"];

/** 127.0.0.0/8, ::1 and their IPv4-mapped forms: only this machine can reach them. */
export function isLoopback(address: string): boolean {
  const a = address.replace(/^\[|\]$/g, "").toLowerCase();
  return a === "localhost" || a === "::1" || /^(::ffff:)?127\.\d+\.\d+\.\d+$/.test(a);
}

/** 0.0.0.0 and :: listen on every interface, loopback among them. */
export function isWildcard(address: string): boolean {
  const a = address.replace(/^\[|\]$/g, "");
  return a === "0.0.0.0" || a === "::";
}

/**
 * The hosts a server bound to `address:port` answers to: the bound address with its port (and the
 * loopback names when it listens on loopback), plus the configured ones. Origins are allowed when
 * their host is, or when listed.
 */
export function hostRules(opts: {
  address: string;
  port: number;
  allowedHosts: readonly string[];
  allowedOrigins: readonly string[];
}): HostRules {
  const bound = opts.address.includes(":") ? `[${opts.address}]` : opts.address;
  const defaults = [bound];
  if (isLoopback(opts.address) || isWildcard(opts.address)) defaults.push(...LOOPBACK_NAMES);
  const hosts = [...new Set([...defaults.map((h) => `${h}:${opts.port}`), ...opts.allowedHosts])];
  const rules = hosts.map(toRule).filter((r): r is Rule => r !== null);
  const origins = new Set(opts.allowedOrigins.map(originOf).filter((o) => o !== null));

  const allowed = (hostname: string, port: string) =>
    rules.some((r) => r.hostname === hostname && (r.port === undefined || r.port === port));

  return {
    hosts,
    problem({ host, origin }) {
      if (!host) return "the request has no Host header";
      const h = parseHost(host);
      if (!h || !allowed(h.hostname, h.port))
        return `Host "${clip(host, 100)}" is not a name this server answers to; add it to http_allowed_hosts (AGOV_HTTP_ALLOWED_HOSTS)`;
      if (origin === undefined) return null;
      const o = parseOrigin(origin);
      if (o && (origins.has(o.origin) || allowed(o.hostname, o.port))) return null;
      return `Origin "${clip(origin, 100)}" is not allowed; add it to http_allowed_origins (AGOV_HTTP_ALLOWED_ORIGINS)`;
    },
  };
}

function parseHost(host: string): { hostname: string; port: string } | null {
  try {
    const url = new URL(`http://${host}`);
    // A Host header is a name and a port; anything more (a path, credentials) is not one.
    if (url.host !== host.toLowerCase() && `${url.hostname}:80` !== host.toLowerCase()) return null;
    return { hostname: url.hostname, port: url.port || "80" };
  } catch {
    return null;
  }
}

function toRule(entry: string): Rule | null {
  const h = parseHost(entry);
  if (!h) return null;
  const hasPort = /:\d+$/.test(entry.replace(/^\[[^\]]*\]/, ""));
  return { hostname: h.hostname, port: hasPort ? h.port : undefined };
}

function parseOrigin(origin: string): { origin: string; hostname: string; port: string } | null {
  try {
    const url = new URL(origin);
    if (url.protocol !== "http:" && url.protocol !== "https:") return null;
    const port = url.port || (url.protocol === "https:" ? "443" : "80");
    return { origin: url.origin, hostname: url.hostname, port };
  } catch {
    return null;
  }
}

function originOf(entry: string): string | null {
  return parseOrigin(entry)?.origin ?? null;
}
