// The health manager: every dependency of the running server (state store, authority, ledger, the
// model endpoint when one is used) with its state, fed by real calls through its circuit breaker
// and by light probes, and every change of state logged once (down: what and why; back: after how long).
import { type Clock, wait } from "../util/clock.js";
import { AgovError } from "../util/errors.js";
import { type Breaker, type BreakerOptions, type BreakerState, createBreaker } from "./breaker.js";

export { type Breaker, createBreaker, errorText, isOutage } from "./breaker.js";

export type DependencyName = "state" | "authority" | "ledger" | "model";
export type DependencyStatus = "up" | "degraded" | "down";
/** The one word /healthz gives anyone. */
export type HealthStatus = "ok" | "degraded" | "down";

/** The part of a pino logger the manager uses. */
export interface HealthLog {
  info(obj: object, msg: string): void;
  warn(obj: object, msg: string): void;
}

export interface DependencySpec {
  name: DependencyName;
  /** The engine: redis, sqlite, vault, local, openai-compatible. */
  kind: string;
  /** Where it is (host:port, a URL), for people fixing it. */
  target?: string;
  /** How messages name it, e.g. "state store (redis at 127.0.0.1:6379)". */
  label: string;
  /** Whether agov can serve nothing without it (the model is not: only runs use it). */
  critical: boolean;
  /** A light call that succeeds when the dependency answers. */
  probe?: () => Promise<unknown>;
  breaker?: Pick<
    BreakerOptions,
    "failureThreshold" | "coolDownMs" | "maxCoolDownMs" | "failFast" | "isFailure"
  >;
}

export interface DependencyHealth {
  name: DependencyName;
  kind: string;
  target?: string;
  critical: boolean;
  status: DependencyStatus;
  /** When it entered this status (ISO time). */
  since: string;
  breaker: BreakerState;
  failures: number;
  last_error?: string;
  last_error_at?: string;
  /** When an open breaker lets the next call through. */
  retry_at?: string;
}

export interface HealthReport {
  status: HealthStatus;
  checked_at: string;
  dependencies: DependencyHealth[];
}

export interface Health {
  /** Registers a dependency (again: replaces it) and returns its breaker. */
  add(spec: DependencySpec): Breaker;
  breaker(name: DependencyName): Breaker | undefined;
  report(): HealthReport;
  status(): HealthStatus;
  /** Probes every dependency that is due (not open and waiting out its cool-down) once. */
  probe(): Promise<void>;
  /** Probes every probeIntervalMs of the clock's time until close(). */
  start(): void;
  close(): void;
}

export interface HealthOptions {
  clock: Clock;
  log?: HealthLog;
  /** Between probes (default 5 s). */
  probeIntervalMs?: number;
  /** A probe without an answer after this long counts as a failure (default 3 s). */
  probeTimeoutMs?: number;
}

interface Entry {
  spec: DependencySpec;
  breaker: Breaker;
  status: DependencyStatus;
  since: number;
  probing: boolean;
}

const iso = (ms: number) => new Date(ms).toISOString();
const statusOf = (b: Breaker): DependencyStatus => {
  const s = b.snapshot();
  if (s.state !== "closed") return "down";
  return s.failures > 0 ? "degraded" : "up";
};

export function createHealth(opts: HealthOptions): Health {
  const { clock, log } = opts;
  const interval = opts.probeIntervalMs ?? 5000;
  const probeTimeout = opts.probeTimeoutMs ?? 3000;
  const deps = new Map<DependencyName, Entry>();
  const stop = new AbortController();
  let started = false;

  function changed(e: Entry): void {
    const next = statusOf(e.breaker);
    if (next === e.status) return;
    const prev = e.status;
    const now = clock.now();
    const snap = e.breaker.snapshot();
    const where = { dependency: e.spec.name, kind: e.spec.kind, target: e.spec.target };
    if (next === "up") {
      const ms = now - e.since;
      log?.info(
        { ...where, down_ms: ms, was: prev },
        `${e.spec.label} is back after ${(ms / 1000).toFixed(1)} s`,
      );
    } else if (next === "down") {
      log?.warn(
        { ...where, error: snap.last_error, retry_at: iso(snap.retry_at ?? now) },
        `${e.spec.label} is down: ${snap.last_error ?? "no answer"}; calls to it are refused at once until ${iso(snap.retry_at ?? now)}, when agov tries it again`,
      );
    } else {
      log?.warn(
        { ...where, error: snap.last_error },
        `${e.spec.label} is failing: ${snap.last_error ?? "no answer"}`,
      );
    }
    // "since" for the way back counts from when it stopped being up, through degraded and down.
    if (next === "up" || prev === "up") e.since = now;
    e.status = next;
  }

  async function probeOne(e: Entry): Promise<void> {
    const probe = e.spec.probe;
    if (!probe || e.probing) return;
    e.probing = true;
    const done = new AbortController();
    const silent = wait(clock, probeTimeout, done.signal).then(() => {
      if (done.signal.aborted) return;
      throw new AgovError(
        "UNAVAILABLE",
        `${e.spec.label} gave no answer to a probe within ${probeTimeout} ms`,
      );
    });
    try {
      await e.breaker.probe(() => Promise.race([probe(), silent]));
    } catch {
      // Counted by the breaker; the state change, if any, is logged there.
    } finally {
      done.abort();
      e.probing = false;
    }
  }

  async function probeAll(): Promise<void> {
    await Promise.all([...deps.values()].map(probeOne));
  }

  const report = (): HealthReport => {
    const dependencies = [...deps.values()].map((e): DependencyHealth => {
      const s = e.breaker.snapshot();
      return {
        name: e.spec.name,
        kind: e.spec.kind,
        ...(e.spec.target ? { target: e.spec.target } : {}),
        critical: e.spec.critical,
        status: e.status,
        since: iso(e.since),
        breaker: s.state,
        failures: s.failures,
        ...(s.last_error ? { last_error: s.last_error } : {}),
        ...(s.last_error_at ? { last_error_at: iso(s.last_error_at) } : {}),
        ...(s.retry_at ? { retry_at: iso(s.retry_at) } : {}),
      };
    });
    return { status: overall(dependencies), checked_at: iso(clock.now()), dependencies };
  };

  return {
    add(spec) {
      const entry: Entry = {
        spec,
        status: "up",
        since: clock.now(),
        probing: false,
        breaker: undefined as unknown as Breaker,
      };
      entry.breaker = createBreaker({
        name: spec.name,
        label: spec.label,
        clock,
        ...spec.breaker,
        onOutcome: () => changed(entry),
      });
      deps.set(spec.name, entry);
      return entry.breaker;
    },
    breaker: (name) => deps.get(name)?.breaker,
    report,
    status: () => report().status,
    probe: probeAll,
    start() {
      if (started) return;
      started = true;
      void (async () => {
        while (!stop.signal.aborted) {
          await wait(clock, interval, stop.signal);
          if (!stop.signal.aborted) await probeAll();
        }
      })();
    },
    close: () => stop.abort(),
  };
}

/** down when a dependency agov cannot serve without is down; degraded when anything is not up. */
function overall(deps: DependencyHealth[]): HealthStatus {
  if (deps.some((d) => d.critical && d.status === "down")) return "down";
  return deps.some((d) => d.status !== "up") ? "degraded" : "ok";
}
