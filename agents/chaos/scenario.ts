// The shape of a scenario, and the steps most of them share: workers and a revoked probe on a
// server, a fault in the middle of their load, and the time until calls succeed again.
import type { Session } from "./calls.js";
import { answered } from "./history.js";
import type { Kit } from "./kit.js";
import { pause, until } from "./rng.js";
import { type Load, startLoad, startProbe } from "./workload.js";

export interface Scenario {
  name: string;
  /** One line: the fault, and what it is run against. */
  summary: string;
  /** What must be installed for it to run. */
  needsRedis: boolean;
  run(kit: Kit): Promise<void>;
}

export interface Running {
  load: Load;
  probe: Load;
  sessions: Session[];
  stop(): Promise<void>;
}

/** Workers (T1) on the given servers in turn, plus an agent revoked before the load starts. */
export async function startWork(
  kit: Kit,
  urls: Array<() => string>,
  workers = 3,
): Promise<Running> {
  const sessions = await Promise.all(
    Array.from({ length: workers }, (_, i) =>
      kit.session(`worker-${i + 1}`, 1, urls[i % urls.length] as () => string),
    ),
  );
  const probeSession = await kit.session("revoked-probe", 1, urls[0] as () => string);
  await (await probeSession.client()).must("lock_status", { resource: "probe" });
  const r = await kit.procs.agov(
    ["token", "revoke", "--agent", "revoked-probe", "--reason", "chaos probe"],
    kit.env,
  );
  if (r.code !== 0) throw new Error(`agov token revoke failed: ${r.stderr.trim()}`);
  const load = startLoad({
    sessions,
    resources: ["db", "queue"],
    rng: kit.rng.fork("load"),
    ev: kit.ev,
    giveUpMs: kit.quick ? 8000 : 20_000,
  });
  const probe = startProbe(probeSession, kit.ev);
  return {
    load,
    probe,
    sessions,
    stop: async () => {
      await load.stop();
      await probe.stop();
    },
  };
}

const acked = (kit: Kit, after: number) =>
  kit.ev.ops.filter((o) => o.outcome === "ok" && o.doneAt > after).length;

/** Waits until `n` more calls were acknowledged after `after` (the load is making progress). */
export async function progress(kit: Kit, n: number, after = 0, timeoutMs = 20_000): Promise<void> {
  await until(
    `${n} acknowledged calls`,
    () => (acked(kit, after) >= n ? true : undefined),
    timeoutMs,
  );
}

/**
 * Measures recovery from the moment the fault ended: the first call a working server answered.
 * `alive` says whether the server under test stayed up (a restart is not a recovery).
 */
export async function recovery(
  kit: Kit,
  faultEnd: number,
  alive: () => boolean,
  restarted = false,
): Promise<void> {
  // Over several fault cycles the row shows the worst one.
  const before = kit.ev.recovery;
  await measure(kit, faultEnd, alive, restarted);
  const now = kit.ev.recovery;
  const worse =
    before?.kind === "not-recovered" ||
    (before?.kind === "recovered" && now?.kind === "recovered" && before.ms > now.ms);
  if (worse) kit.ev.recovery = before;
}

/** How many times a scenario injects its fault: once with --quick, three times otherwise. */
export const cycles = (kit: Kit) => (kit.quick ? 1 : 3);

async function measure(
  kit: Kit,
  faultEnd: number,
  alive: () => boolean,
  restarted: boolean,
): Promise<void> {
  try {
    // Recovered once a call is settled by a working server: acknowledged, or refused on purpose
    // (locks after a data loss are refused until earlier leases lapse; the server is fine).
    const settled = () => kit.ev.ops.filter((o) => answered(o) && o.doneAt > faultEnd);
    await until(
      "a call answered after the fault",
      () => (settled().length > 0 ? true : undefined),
      kit.quick ? 15_000 : 60_000,
    );
    const first = Math.min(...settled().map((o) => o.doneAt));
    kit.step(`first call answered after the fault`);
    kit.ev.recovery = alive()
      ? { kind: "recovered", ms: first - faultEnd, restarted }
      : { kind: "not-recovered", detail: "the server process exited" };
  } catch {
    kit.ev.recovery = {
      kind: "not-recovered",
      detail: `no call succeeded within ${kit.quick ? 15 : 60} s after the fault ended`,
    };
  }
}

/** A fault's own duration, drawn from the seed (this is the outage, not a wait for something). */
export const hold = (kit: Kit, min: number, max: number) => pause(kit.rng.int(min, max));
