import { mkdtempSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { describe, expect, it } from "vitest";
import { ConfigError, loadConfig } from "../../src/config/index.js";

const dir = () => mkdtempSync(join(tmpdir(), "agov-config-"));

describe("config", () => {
  it("runs on embedded defaults with no file and no environment", () => {
    const c = loadConfig({ env: {}, cwd: dir(), home: "/home/u" });
    expect(c).toMatchObject({ home: "/home/u/.agov", state: "sqlite", authority: "local" });
  });

  it("lets the environment override the file, and the file the defaults", () => {
    const cwd = dir();
    writeFileSync(
      join(cwd, "agov.config.yaml"),
      "state: redis\nredis_url: redis://10.0.0.1:6380\nhome: ./h\n",
    );
    const c = loadConfig({ env: { REDIS_URL: "redis://127.0.0.1:7000" }, cwd, home: "/home/u" });
    expect(c.state).toBe("redis");
    expect(c.redis_url).toBe("redis://127.0.0.1:7000");
    expect(c.home).toBe(join(cwd, "h"));
  });

  it("takes redis_url from Vault only with the Vault authority, and says what a URL looks like", () => {
    expect(() =>
      loadConfig({ env: { REDIS_URL: "vault:secret/data/services/dragonfly" }, cwd: dir() }),
    ).toThrow(/^config: redis_url: vault:<path> needs the Vault authority/);
    const c = loadConfig({
      env: {
        REDIS_URL: "vault:secret/data/services/dragonfly",
        AGOV_AUTHORITY: "vault",
        VAULT_ADDR: "http://127.0.0.1:8200",
      },
      cwd: dir(),
    });
    expect(c.redis_url).toBe("vault:secret/data/services/dragonfly");
    expect(() => loadConfig({ env: { REDIS_URL: "localhost" }, cwd: dir() })).toThrow(
      /^config: redis_url \(from REDIS_URL\): expected a URL such as redis:\/\/host:6379, or vault:<secret path>/,
    );
  });

  it("keeps the embedded ledger by default and needs a postgres URL for the shared one", () => {
    expect(loadConfig({ env: {}, cwd: dir() }).ledger).toBe("sqlite");
    expect(() => loadConfig({ env: { AGOV_LEDGER: "postgres" }, cwd: dir() })).toThrow(
      /^config: ledger_url: required when ledger is postgres \(set AGOV_LEDGER_URL=postgres:/,
    );
    const url = "postgres://agov:s3cret@db.internal:5432/agov";
    const c = loadConfig({ env: { AGOV_LEDGER: "postgres", AGOV_LEDGER_URL: url }, cwd: dir() });
    expect(c).toMatchObject({ ledger: "postgres", ledger_url: url });
    const bad = () =>
      loadConfig({ env: { AGOV_LEDGER_URL: "mysql://agov:s3cret@db/agov" }, cwd: dir() });
    expect(bad).toThrow(
      /^config: ledger_url \(from AGOV_LEDGER_URL\): expected a URL such as postgres:\/\//,
    );
    expect(bad).not.toThrow(/s3cret/);
    expect(() => loadConfig({ env: { AGOV_LEDGER: "mongo" }, cwd: dir() })).toThrow(
      /^config: ledger/,
    );
    expect(() =>
      loadConfig({
        env: { AGOV_LEDGER: "postgres", AGOV_LEDGER_URL: "vault:secret/data/db" },
        cwd: dir(),
      }),
    ).toThrow(/^config: ledger_url: vault:<path> needs the Vault authority/);
  });

  it("names the key and its source for a bad value", () => {
    expect(() => loadConfig({ env: { AGOV_STATE: "mongo" }, cwd: dir() })).toThrow(
      /^config: state \(from AGOV_STATE\): .*sqlite.*redis/,
    );
    expect(() => loadConfig({ env: { AGOV_CACHE_TTL_MS: "soon" }, cwd: dir() })).toThrow(
      /cache_ttl_ms \(from AGOV_CACHE_TTL_MS\)/,
    );
    expect(() => loadConfig({ env: { REDIS_URL: "localhost" }, cwd: dir() })).toThrow(
      /redis_url .*URL/,
    );
  });

  it("takes the model's timeout, retries and max tokens and the run's replacements from file and environment", () => {
    const cwd = dir();
    expect(loadConfig({ env: {}, cwd })).toMatchObject({
      model_timeout_ms: 60_000,
      model_retries: 2,
      replacements: 1,
    });
    expect(loadConfig({ env: {}, cwd }).model_max_tokens).toBeUndefined();
    writeFileSync(join(cwd, "agov.config.yaml"), "model_timeout_ms: 120000\nmodel_retries: 4\n");
    const c = loadConfig({
      env: { AGOV_MODEL_MAX_TOKENS: "2048", AGOV_REPLACEMENTS: "3", AGOV_MODEL_RETRIES: "0" },
      cwd,
    });
    expect(c).toMatchObject({
      model_timeout_ms: 120_000,
      model_retries: 0,
      model_max_tokens: 2048,
      replacements: 3,
    });
    expect(() => loadConfig({ env: { AGOV_MODEL_TIMEOUT_MS: "10" }, cwd: dir() })).toThrow(
      /^config: model_timeout_ms \(from AGOV_MODEL_TIMEOUT_MS\): .*1000/,
    );
    expect(() => loadConfig({ env: { AGOV_REPLACEMENTS: "many" }, cwd: dir() })).toThrow(
      /^config: replacements \(from AGOV_REPLACEMENTS\)/,
    );
  });

  it("expires idle HTTP sessions after 10 minutes and caps sessions by default", () => {
    expect(loadConfig({ env: {}, cwd: dir() })).toMatchObject({
      session_idle_ms: 600_000,
      max_sessions_per_agent: 16,
      max_sessions: 500,
    });
    const c = loadConfig({
      env: { AGOV_MAX_SESSIONS_PER_AGENT: "4", AGOV_MAX_SESSIONS: "50" },
      cwd: dir(),
    });
    expect(c).toMatchObject({ max_sessions_per_agent: 4, max_sessions: 50 });
    expect(() => loadConfig({ env: { AGOV_MAX_SESSIONS: "0" }, cwd: dir() })).toThrow(
      /^config: max_sessions \(from AGOV_MAX_SESSIONS\)/,
    );
  });

  it("reads the allowed HTTP hosts and origins as comma-separated lists, and names a bad one", () => {
    const c = loadConfig({
      env: {
        AGOV_HTTP_ALLOWED_HOSTS: "agov.internal:8787, [::1]:8787,10.0.0.5",
        AGOV_HTTP_ALLOWED_ORIGINS: "https://console.example",
      },
      cwd: dir(),
    });
    expect(c.http_allowed_hosts).toEqual(["agov.internal:8787", "[::1]:8787", "10.0.0.5"]);
    expect(c.http_allowed_origins).toEqual(["https://console.example"]);
    expect(loadConfig({ env: {}, cwd: dir() }).http_allowed_hosts).toEqual([]);
    expect(() =>
      loadConfig({ env: { AGOV_HTTP_ALLOWED_HOSTS: "http://agov.internal" }, cwd: dir() }),
    ).toThrow(
      /^config: http_allowed_hosts \(from AGOV_HTTP_ALLOWED_HOSTS\): expected host or host:port/,
    );
    expect(() =>
      loadConfig({ env: { AGOV_HTTP_ALLOWED_ORIGINS: "https://a.example/path" }, cwd: dir() }),
    ).toThrow(/http_allowed_origins .*expected an origin/);
  });

  it("rejects malformed YAML, unknown keys and a vault authority without an address in one line", () => {
    const cwd = dir();
    writeFileSync(join(cwd, "agov.config.yaml"), "state: [\n");
    expect(() => loadConfig({ env: {}, cwd })).toThrow(ConfigError);
    expect(() => loadConfig({ env: {}, cwd })).toThrow(/not valid YAML/);
    writeFileSync(join(cwd, "agov.config.yaml"), "stat: redis\n");
    expect(() => loadConfig({ env: {}, cwd })).toThrow(/unknown key\(s\) stat/);
    writeFileSync(join(cwd, "agov.config.yaml"), "- a\n- b\n");
    expect(() => loadConfig({ env: {}, cwd })).toThrow(/expected a mapping/);
    expect(() => loadConfig({ env: { AGOV_AUTHORITY: "vault" }, cwd: dir() })).toThrow(
      /vault_addr: required/,
    );
    try {
      loadConfig({ env: { AGOV_STATE: "x" }, cwd: dir() });
    } catch (e) {
      expect((e as Error).message).not.toContain("\n");
    }
  });
});
