// The composition root: builds the ports chosen by the configuration and the domain modules on
// top of them. The CLI, the server and the runner all start here; tests build one in a few lines.
import { join } from "node:path";
import { type Audit, createAudit } from "./audit/index.js";
import type { Authority } from "./authority/index.js";
import { createLocalAuthority } from "./authority/local.js";
import type { Config } from "./config/index.js";
import { type Consensus, createConsensus } from "./coordination/consensus.js";
import { type Coordination, createCoordination } from "./coordination/index.js";
import { createGovernance, type Governance } from "./governance/index.js";
import { authorityDependency, stateDependency } from "./health/dependencies.js";
import { guardAuthority, guardLedger, guardState } from "./health/guard.js";
import { createHealth, type Health, type HealthLog } from "./health/index.js";
import { createGitHub } from "./integrations/github.js";
import { createSlackNotifier } from "./integrations/slack.js";
import { createSqliteLedger, type Ledger } from "./ledger/index.js";
import { defaultDirs } from "./pipeline/files.js";
import { createPipelines, type Pipelines } from "./pipeline/index.js";
import { withChangeEvents } from "./state/changes.js";
import type { StateStore } from "./state/index.js";
import { createSqliteState } from "./state/sqlite.js";
import { loadTelemetry, type Telemetry, telemetryWanted } from "./telemetry/index.js";
import { traceAuthority, traceLedger, traceState } from "./telemetry/ports.js";
import { type Clock, type Ids, randomIds, systemClock } from "./util/clock.js";
import { privateDir } from "./util/files.js";
import { type Notice, type Notifier, silentNotifier } from "./util/notice.js";
import { bundledPolicies } from "./util/paths.js";

export interface Runtime {
  config: Config;
  clock: Clock;
  ids: Ids;
  authority: Authority;
  state: StateStore;
  ledger: Ledger;
  coordination: Coordination;
  consensus: Consensus;
  governance: Governance;
  pipelines: Pipelines;
  audit: Audit;
  /** Every dependency's state, fed by the breakers around the ports and by probes. */
  health: Health;
  /** Spans and metrics (docs/telemetry.md); absent when none is configured. */
  telemetry?: Telemetry;
  close(): Promise<void>;
}

export interface RuntimeOptions {
  clock?: Clock;
  ids?: Ids;
  /** Use these instead of building them from the config (tests, benchmarks). */
  authority?: Authority;
  state?: StateStore;
  /** Where outages (a dependency down, back, data lost) are logged; silent without one. */
  log?: HealthLog;
  /** The directory command stages run in (default: where agov runs); `agov review` sets its target. */
  baseDir?: string;
  /** Probe timing for the health manager (tests move an injected clock instead of waiting). */
  probeIntervalMs?: number;
  /** Use this instead of the telemetry the config asks for (tests with in-memory exporters). */
  telemetry?: Telemetry;
}

export async function createRuntime(config: Config, opts: RuntimeOptions = {}): Promise<Runtime> {
  const clock = opts.clock ?? systemClock;
  const ids = opts.ids ?? randomIds;
  privateDir(config.home, true);
  const health = createHealth({
    clock,
    ...(opts.log ? { log: opts.log } : {}),
    ...(opts.probeIntervalMs ? { probeIntervalMs: opts.probeIntervalMs } : {}),
  });
  // The SDK is imported only when telemetry is configured; otherwise there is none at all.
  const telemetry =
    opts.telemetry ?? (telemetryWanted(config) ? await loadTelemetry(config) : undefined);
  const built = await createLedger(config, clock);
  const rawLedger = built.ledger;
  const guardedLedger = guardLedger(
    rawLedger,
    health.add({
      name: "ledger",
      kind: built.kind,
      target: built.target,
      label: `audit ledger (${built.kind})`,
      critical: true,
      probe: () => rawLedger.query({ limit: 1 }),
      // Watched, never cut off: each call tries, and its own refusal is already the answer.
      breaker: { failFast: false },
    }),
  );
  const ledger = telemetry ? traceLedger(guardedLedger, telemetry) : guardedLedger;
  let rawState: StateStore;
  try {
    rawState = opts.state ?? (await createState(config, clock, ids, opts.log));
  } catch (err) {
    await rawLedger.close();
    await telemetry?.shutdown();
    throw err;
  }
  const guardedState = guardState(rawState, health.add(stateDependency(config, rawState)));
  const state = withChangeEvents(telemetry ? traceState(guardedState, telemetry) : guardedState);
  let authority: Authority;
  try {
    const raw = opts.authority ?? (await createAuthority(config, clock, ids));
    const guarded = guardAuthority(raw, health.add(authorityDependency(config, raw)));
    authority = telemetry ? traceAuthority(guarded, telemetry) : guarded;
  } catch (err) {
    // Nothing half-open is left behind: the store's connections close with the failed start.
    await rawState.close().catch(() => {});
    await rawLedger.close();
    await telemetry?.shutdown();
    throw err;
  }
  if (telemetry) {
    telemetry.observeHealth(() => health.report());
    state.events.subscribe((e) => {
      if (e.type === "revoked") telemetry.revoked();
    });
  }
  const notifier = createNotifier(config, opts.log);
  const notify = (n: Notice) => notifier.notify(n);
  const governance = createGovernance({ state, ledger, authority, clock, ids, notify });
  const consensus = createConsensus({ state, ledger, clock, ids, notify });
  const pipelines = createPipelines({
    state,
    ledger,
    authority,
    clock,
    ids,
    governance,
    dirs: defaultDirs(config.home),
    ...(opts.baseDir ? { baseDir: opts.baseDir } : {}),
    github: createGitHub({ apiUrl: config.github_api_url, token: config.github_token }),
  });
  watchPipelines(pipelines, notify);
  const runtime: Runtime = {
    config,
    clock,
    ids,
    authority,
    state,
    ledger,
    coordination: createCoordination({ state, clock, consensus }),
    consensus,
    governance,
    pipelines,
    audit: createAudit(ledger),
    health,
    ...(telemetry ? { telemetry } : {}),
    async close() {
      health.close();
      await notifier.close();
      await Promise.allSettled([authority.close(), state.close()]);
      await ledger.close();
      // Last: the spans of the closing work above are exported too.
      await telemetry?.shutdown();
    },
  };
  return runtime;
}

/** Slack when a webhook is configured; otherwise notices go nowhere. */
function createNotifier(config: Config, log: HealthLog | undefined): Notifier {
  if (!config.slack_webhook_url) return silentNotifier;
  return createSlackNotifier({
    webhookUrl: config.slack_webhook_url,
    kinds: config.slack_events,
    log: (level, msg) => log?.[level]({}, msg),
  });
}

/** A gate waiting for a person, and a run's end, as notices. */
function watchPipelines(pipelines: Pipelines, notify: (n: Notice) => void): void {
  pipelines.watch((e) => {
    if (e.type === "run" && e.status !== "running" && e.status !== "waiting") {
      void pipelines
        .status(e.run_id)
        .then((r) =>
          notify({
            kind: "pipeline_finished",
            run_id: e.run_id,
            pipeline: r?.pipeline.name ?? "?",
            status: e.status,
            reason: e.reason,
          }),
        )
        .catch(() => {});
    }
    if (e.type === "stage" && e.kind === "human-gate" && e.to === "waiting") {
      void pipelines
        .status(e.run_id)
        .then((r) => {
          const def = r?.pipeline.stages.find((s) => s.name === e.stage);
          notify({
            kind: "gate_waiting",
            run_id: e.run_id,
            pipeline: r?.pipeline.name ?? "?",
            stage: e.stage,
            prompt: def?.kind === "human-gate" ? def.prompt : "",
            deadline: r?.stages[e.stage]?.deadline ?? null,
          });
        })
        .catch(() => {});
    }
  });
}

/** The ledger the configuration chose, and how health names it (never with a password). */
async function createLedger(
  config: Config,
  clock: Clock,
): Promise<{ ledger: Ledger; kind: string; target: string }> {
  const key = await ledgerKey(config, clock);
  if (config.ledger === "postgres") {
    // Loaded only when chosen, so the embedded default never loads pg.
    const { createPostgresLedger, describeDb } = await import("./ledger/postgres.js");
    const url = await secretUrl(config, config.ledger_url!, clock);
    return {
      ledger: await createPostgresLedger({ url, home: config.home, clock, ...key }),
      kind: "postgres",
      target: describeDb(url),
    };
  }
  return {
    ledger: createSqliteLedger({ home: config.home, clock, ...key }),
    kind: "sqlite",
    target: join(config.home, "ledger.db"),
  };
}

async function createState(
  config: Config,
  clock: Clock,
  ids: Ids,
  log: HealthLog | undefined,
): Promise<StateStore> {
  if (config.state === "redis") {
    // Loaded only when chosen, so the embedded default never opens a Redis client.
    const { createRedisState } = await import("./state/redis.js");
    return createRedisState({
      url: await secretUrl(config, config.redis_url, clock),
      clock,
      ids,
      ...(log ? { log } : {}),
    });
  }
  return createSqliteState({ home: config.home, clock, ids });
}

/**
 * A URL setting (Redis, the PostgreSQL ledger), read from Vault when it is vault:<path> (the
 * seed's services/dragonfly).
 */
export async function secretUrl(config: Config, setting: string, clock: Clock): Promise<string> {
  if (!setting.startsWith("vault:")) return setting;
  const { readSecretUrl } = await import("./authority/vault-secrets.js");
  return readSecretUrl({ ...vaultLogin(config), clock, path: setting.slice("vault:".length) });
}

/** Where the ledger's chain key is: a file (default under AGOV_HOME), or a Vault secret. */
export async function ledgerKey(
  config: Config,
  clock: Clock,
): Promise<{ key?: Buffer; keyFile?: string }> {
  const setting = config.ledger_key;
  if (!setting) return {};
  if (!setting.startsWith("vault:")) return { keyFile: setting };
  const { ledgerKeyFromVault } = await import("./authority/vault-secrets.js");
  return {
    key: await ledgerKeyFromVault({ ...vaultLogin(config), clock, path: setting.slice(6) }),
  };
}

/** agov's own Vault address and credentials (a token, or its AppRole). */
function vaultLogin(config: Config) {
  return {
    addr: config.vault_addr!,
    token: config.vault_token,
    roleId: config.vault_role_id,
    secretId: config.vault_secret_id,
  };
}

export function policyDirs(config: Config): string[] {
  return [bundledPolicies(), join(config.home, "policies")];
}

async function createAuthority(config: Config, clock: Clock, ids: Ids): Promise<Authority> {
  if (config.authority === "vault") {
    // Loaded only when chosen, so the embedded default never loads node-vault.
    const { createVaultAuthority } = await import("./authority/vault.js");
    return createVaultAuthority({
      ...vaultLogin(config),
      clock,
    });
  }
  return createLocalAuthority({ home: config.home, policyDirs: policyDirs(config), clock, ids });
}
