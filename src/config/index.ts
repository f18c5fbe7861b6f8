// The one configuration: defaults, then agov.config.yaml (if present), then the environment.
// Parsed and validated once at start-up; nothing else reads process.env.
import { existsSync, readFileSync } from "node:fs";
import { homedir } from "node:os";
import { join, resolve } from "node:path";
import { z } from "zod";
import { NOTICE_KINDS } from "../util/notice.js";
import { yaml } from "../util/yaml.js";

const urlString = z
  .string()
  .regex(/^[a-z][a-z0-9+.-]*:\/\/\S+$/i, "expected a URL such as http://host:port");

/** A Host header value: a name, an IPv4 address or a bracketed IPv6 address, with or without a port. */
const hostEntry = z
  .string()
  .regex(
    /^(\[[0-9A-Fa-f:.]+\]|[A-Za-z0-9.-]+)(:\d{1,5})?$/,
    "expected host or host:port, such as agov.internal:8787 or [::1]:8787",
  );
/** A browser origin: scheme, host and optional port, nothing after. */
const originEntry = z
  .string()
  .regex(
    /^https?:\/\/(\[[0-9A-Fa-f:.]+\]|[A-Za-z0-9.-]+)(:\d{1,5})?$/,
    "expected an origin such as https://agov.internal:8787 (scheme, host, port; no path)",
  );

export const configSchema = z
  .object({
    home: z.string().min(1),
    state: z.enum(["sqlite", "redis"]),
    /** A URL, or vault:<path> for the url field of a Vault secret (authority vault). */
    redis_url: z.union([urlString, z.string().regex(/^vault:\S+$/)], {
      error: "expected a URL such as redis://host:6379, or vault:<secret path>",
    }),
    authority: z.enum(["local", "vault"]),
    /** Where the audit ledger is: the embedded SQLite file, or a PostgreSQL database a fleet shares. */
    ledger: z.enum(["sqlite", "postgres"]),
    /** The PostgreSQL ledger's URL, or vault:<path> for the url field of a Vault secret. */
    ledger_url: z
      .union([z.string().regex(/^postgres(ql)?:\/\/\S+$/i), z.string().regex(/^vault:\S+$/)], {
        error:
          "expected a URL such as postgres://user:password@host:5432/agov, or vault:<secret path>",
      })
      .optional(),
    vault_addr: urlString.optional(),
    vault_token: z.string().min(1).optional(),
    vault_role_id: z.string().min(1).optional(),
    vault_secret_id: z.string().min(1).optional(),
    /** How long a resolved caller (token lookup, grants) is reused before asking the authority again. */
    cache_ttl_ms: z.number().int().min(0).max(600_000),
    token: z.string().min(1).optional(),
    openrouter_api_key: z.string().min(1).optional(),
    openai_api_key: z.string().min(1).optional(),
    openai_base_url: urlString.optional(),
    model: z.string().min(1).optional(),
    /** How long one model request may take before it is abandoned as a timeout (and retried). */
    model_timeout_ms: z.number().int().min(1000).max(3_600_000),
    /** Retries of a failed model request, after the first attempt. */
    model_retries: z.number().int().min(0).max(10),
    /** The most tokens a model reply may use; unset: the endpoint's default. */
    model_max_tokens: z.number().int().min(16).max(1_000_000).optional(),
    /** Fresh agents `agov run` may start per role in place of one revoked for its own faults. */
    replacements: z.number().int().min(0).max(20),
    log_level: z.enum(["fatal", "error", "warn", "info", "debug", "trace", "silent"]),
    /**
     * The ledger's chain key: a key file path (default $AGOV_HOME/keys/ledger.key), or
     * vault:<kv v2 path> for a key held in Vault (authority vault), created there on first start.
     */
    ledger_key: z.string().min(1).optional(),
    /** Idle Streamable HTTP sessions are closed after this long. */
    session_idle_ms: z.number().int().min(1000),
    /** Open MCP sessions (every transport) one agent may hold; more are refused. */
    max_sessions_per_agent: z.number().int().min(1).max(100_000),
    /** Open MCP sessions (every transport) this server holds in all; more are refused. */
    max_sessions: z.number().int().min(1).max(1_000_000),
    /** Host headers /mcp accepts besides the bound address's own (DNS-rebinding protection). */
    http_allowed_hosts: z.array(hostEntry).max(100),
    /** Origins /mcp accepts besides those of the allowed hosts. */
    http_allowed_origins: z.array(originEntry).max(100),
    /** A Slack incoming webhook for notices (gates waiting, revocations, runs ended, consensus). */
    slack_webhook_url: urlString.optional(),
    /** GitHub's REST API: api.github.com, or https://<host>/api/v3 for GitHub Enterprise. */
    github_api_url: urlString,
    /** The token github pipeline stages use (GITHUB_TOKEN). */
    github_token: z.string().min(1).optional(),
    /** Which notices go to Slack. */
    slack_events: z.array(z.enum(NOTICE_KINDS)).max(NOTICE_KINDS.length),
    /**
     * The URL clients reach the server by when a TLS proxy is in front (https://agov.example.com):
     * the OAuth issuer and the resource metadata use it, and its host and origin are allowed.
     */
    http_public_url: originEntry.optional(),
    /** Serve Prometheus metrics at /metrics of `agov serve --http` (docs/telemetry.md). */
    metrics: z.boolean(),
    /**
     * Export spans / metrics over OTLP/HTTP. On when the standard OTEL_EXPORTER_OTLP_ENDPOINT (or
     * its _TRACES_ / _METRICS_ form) is set; the exporter reads the endpoint and headers itself.
     */
    otlp_traces: z.boolean(),
    otlp_metrics: z.boolean(),
  })
  .strict();

export type Config = z.infer<typeof configSchema>;

const ENV_KEYS: Record<string, keyof Config> = {
  AGOV_HOME: "home",
  AGOV_STATE: "state",
  REDIS_URL: "redis_url",
  AGOV_AUTHORITY: "authority",
  AGOV_LEDGER: "ledger",
  AGOV_LEDGER_URL: "ledger_url",
  VAULT_ADDR: "vault_addr",
  VAULT_TOKEN: "vault_token",
  VAULT_ROLE_ID: "vault_role_id",
  VAULT_SECRET_ID: "vault_secret_id",
  AGOV_CACHE_TTL_MS: "cache_ttl_ms",
  AGOV_TOKEN: "token",
  OPENROUTER_API_KEY: "openrouter_api_key",
  OPENAI_API_KEY: "openai_api_key",
  OPENAI_BASE_URL: "openai_base_url",
  AGOV_MODEL: "model",
  AGOV_MODEL_TIMEOUT_MS: "model_timeout_ms",
  AGOV_MODEL_RETRIES: "model_retries",
  AGOV_MODEL_MAX_TOKENS: "model_max_tokens",
  AGOV_REPLACEMENTS: "replacements",
  AGOV_LOG_LEVEL: "log_level",
  AGOV_SESSION_IDLE_MS: "session_idle_ms",
  AGOV_LEDGER_KEY: "ledger_key",
  AGOV_MAX_SESSIONS_PER_AGENT: "max_sessions_per_agent",
  AGOV_MAX_SESSIONS: "max_sessions",
  AGOV_HTTP_ALLOWED_HOSTS: "http_allowed_hosts",
  AGOV_HTTP_ALLOWED_ORIGINS: "http_allowed_origins",
  AGOV_SLACK_WEBHOOK_URL: "slack_webhook_url",
  AGOV_GITHUB_API_URL: "github_api_url",
  GITHUB_TOKEN: "github_token",
  AGOV_SLACK_EVENTS: "slack_events",
  AGOV_HTTP_PUBLIC_URL: "http_public_url",
  AGOV_METRICS: "metrics",
};
const NUMERIC: ReadonlySet<keyof Config> = new Set([
  "cache_ttl_ms",
  "session_idle_ms",
  "max_sessions_per_agent",
  "max_sessions",
  "model_timeout_ms",
  "model_retries",
  "model_max_tokens",
  "replacements",
]);
/** Keys whose environment variable is a switch: 1/true/yes/on or 0/false/no/off. */
const SWITCHES: ReadonlySet<keyof Config> = new Set(["metrics"]);
const SWITCH_VALUES: Record<string, boolean> = {
  "1": true,
  true: true,
  yes: true,
  on: true,
  "0": false,
  false: false,
  no: false,
  off: false,
};
/** Keys whose environment variable is a comma-separated list. */
const LISTS: ReadonlySet<keyof Config> = new Set([
  "http_allowed_hosts",
  "http_allowed_origins",
  "slack_events",
]);

export class ConfigError extends Error {
  override name = "ConfigError";
}

export interface ConfigSources {
  env: Record<string, string | undefined>;
  cwd: string;
  home?: string;
}

export function defaults(home: string): Config {
  return {
    home: join(home, ".agov"),
    state: "sqlite",
    redis_url: "redis://127.0.0.1:6379",
    authority: "local",
    ledger: "sqlite",
    cache_ttl_ms: 2000,
    log_level: "info",
    model_timeout_ms: 60_000,
    model_retries: 2,
    replacements: 1,
    // An idle session holds ~100 KiB and its SSE stream, and a long expiry lets abandoned sessions
    // pile up to max_sessions; a client whose session expired gets 404 and must initialize again
    // (docs/clients.md says what each client shows).
    session_idle_ms: 10 * 60_000,
    max_sessions_per_agent: 16,
    max_sessions: 500,
    http_allowed_hosts: [],
    http_allowed_origins: [],
    slack_events: [...NOTICE_KINDS],
    github_api_url: "https://api.github.com",
    metrics: false,
    otlp_traces: false,
    otlp_metrics: false,
  };
}

/** Loads the configuration; throws ConfigError with one line naming the key and the problem. */
export function loadConfig({ env, cwd, home = homedir() }: ConfigSources): Config {
  const merged: Record<string, unknown> = { ...defaults(home) };
  const origin: Record<string, string> = {};

  const file = env.AGOV_CONFIG ? resolve(cwd, env.AGOV_CONFIG) : join(cwd, "agov.config.yaml");
  if (existsSync(file)) {
    let doc: unknown;
    try {
      doc = yaml().parse(readFileSync(file, "utf8"));
    } catch (err) {
      const msg = (err instanceof Error ? (err.message.split("\n")[0] ?? "") : String(err)).replace(
        /:\s*$/,
        "",
      );
      throw new ConfigError(`config: ${file}: not valid YAML: ${msg}`);
    }
    if (doc !== null && doc !== undefined) {
      if (typeof doc !== "object" || Array.isArray(doc)) {
        throw new ConfigError(`config: ${file}: expected a mapping of keys to values`);
      }
      for (const [key, value] of Object.entries(doc)) {
        merged[key] = value;
        origin[key] = file;
      }
    }
  } else if (env.AGOV_CONFIG) {
    throw new ConfigError(`config: AGOV_CONFIG: file ${file} does not exist`);
  }

  for (const [name, key] of Object.entries(ENV_KEYS)) {
    const raw = env[name];
    if (raw === undefined || raw === "") continue;
    merged[key] = LISTS.has(key)
      ? raw
          .split(",")
          .map((s) => s.trim())
          .filter(Boolean)
      : SWITCHES.has(key) && raw.toLowerCase() in SWITCH_VALUES
        ? SWITCH_VALUES[raw.toLowerCase()]
        : NUMERIC.has(key) && /^\d+$/.test(raw)
          ? Number(raw)
          : raw;
    origin[key] = name;
  }

  Object.assign(merged, otlpFromEnv(env, merged));
  const parsed = configSchema.safeParse(merged);
  if (!parsed.success) {
    const issue = parsed.error.issues[0]!;
    const key = String(issue.path[0] ?? "");
    const where = origin[key] ? ` (from ${origin[key]})` : "";
    const what =
      issue.code === "unrecognized_keys"
        ? `unknown key(s) ${issue.keys.join(", ")}`
        : issue.message;
    throw new ConfigError(`config: ${key || "file"}${where}: ${what}`);
  }
  const config = parsed.data;
  if (config.redis_url.startsWith("vault:") && config.authority !== "vault") {
    throw new ConfigError(
      "config: redis_url: vault:<path> needs the Vault authority (AGOV_AUTHORITY=vault and VAULT_ADDR)",
    );
  }
  if (config.ledger === "postgres" && !config.ledger_url) {
    throw new ConfigError(
      "config: ledger_url: required when ledger is postgres (set AGOV_LEDGER_URL=postgres://user:password@host:5432/agov)",
    );
  }
  if (config.ledger_url?.startsWith("vault:") && config.authority !== "vault") {
    throw new ConfigError(
      "config: ledger_url: vault:<path> needs the Vault authority (AGOV_AUTHORITY=vault and VAULT_ADDR)",
    );
  }
  if (config.ledger_key?.startsWith("vault:") && config.authority !== "vault") {
    throw new ConfigError(
      "config: ledger_key: vault:<path> needs the Vault authority (AGOV_AUTHORITY=vault and VAULT_ADDR)",
    );
  }
  if (config.authority === "vault" && !config.vault_addr) {
    throw new ConfigError("config: vault_addr: required when authority is vault (set VAULT_ADDR)");
  }
  const ledger_key =
    config.ledger_key && !config.ledger_key.startsWith("vault:")
      ? resolve(cwd, config.ledger_key)
      : config.ledger_key;
  return {
    ...config,
    home: resolve(cwd, config.home),
    ...(ledger_key ? { ledger_key } : {}),
  };
}

/**
 * OTLP export as the standard OpenTelemetry variables ask: a signal is exported when an OTLP
 * endpoint for it is set and its exporter is not "none"; OTEL_SDK_DISABLED=true turns all of
 * telemetry off (including /metrics). agov's exporters speak OTLP over HTTP (JSON bodies).
 */
function otlpFromEnv(
  env: Record<string, string | undefined>,
  merged: Record<string, unknown>,
): Record<string, unknown> {
  if (env.OTEL_SDK_DISABLED?.trim().toLowerCase() === "true")
    return { otlp_traces: false, otlp_metrics: false, metrics: false };
  const protocol = env.OTEL_EXPORTER_OTLP_PROTOCOL?.trim();
  if (protocol && !["http/json", "http/protobuf"].includes(protocol))
    throw new ConfigError(
      `config: OTEL_EXPORTER_OTLP_PROTOCOL: agov exports OTLP over HTTP; set http/json (or unset it), got "${protocol}"`,
    );
  const set = (v: string | undefined) => v !== undefined && v.trim() !== "";
  const signal = (name: "TRACES" | "METRICS", key: string) => {
    if (env[`OTEL_${name}_EXPORTER`]?.trim() === "none") return false;
    return (
      set(env.OTEL_EXPORTER_OTLP_ENDPOINT) ||
      set(env[`OTEL_EXPORTER_OTLP_${name}_ENDPOINT`]) ||
      merged[key] === true
    );
  };
  return {
    otlp_traces: signal("TRACES", "otlp_traces"),
    otlp_metrics: signal("METRICS", "otlp_metrics"),
  };
}
