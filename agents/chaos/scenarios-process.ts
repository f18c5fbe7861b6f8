// Faults in processes: the agov server killed -9 under write load and started again on its
// embedded SQLite files, and a runner's agents (`agov run --server`) killed mid-phase.
import type { Kit } from "./kit.js";
import { startFakeModel } from "./model-fake.js";
import { cycles, hold, progress, recovery, type Scenario, startWork } from "./scenario.js";

const PHASES = ["PLAN", "EXECUTE", "VERIFY"] as const;

const serverKill: Scenario = {
  name: "server-kill",
  summary: "agov serve (embedded SQLite) killed -9 under write load, then started again",
  needsRedis: false,
  async run(kit) {
    const server = await kit.serve();
    const work = await startWork(kit, [() => server.url]);
    await progress(kit, 10);
    for (let i = 0; i < cycles(kit); i++) {
      await server.kill9();
      kit.step("agov serve killed -9");
      kit.ev.gatewayKilled = true;
      await hold(kit, 200, 600);
      await server.restart();
      const back = Date.now();
      kit.step("agov serve started again");
      await recovery(kit, back, () => server.child().alive(), true);
      await progress(kit, 10, back).catch(() => {});
    }
    await work.stop();
    await kit.collect(server.url, [server]);
  },
};

/** Starts `agov run --server <url>` and returns its task suffix once it has begun. */
async function startRun(kit: Kit, url: string, extra: Record<string, string> = {}) {
  const run = kit.procs.start(
    ["run", "Design a resilient job queue", "--server", url, "--timeout", kit.quick ? "60" : "180"],
    { ...kit.env, ...extra },
  );
  const suffix = (await run.waitFor(/agov run {2}task run-(\w+)/))[1] as string;
  return { run, suffix };
}

const agentKill: Scenario = {
  name: "agent-kill",
  summary:
    "the bundled agents (agov run --server) killed -9 mid-phase; an operator revokes them; a new run",
  needsRedis: false,
  async run(kit) {
    const server = await kit.serve();
    const work = await startWork(kit, [() => server.url], 2);
    const phase = kit.rng.pick(PHASES);
    const first = await startRun(kit, server.url);
    await first.run.waitFor(new RegExp(`(ALPHA|BETA) +${phase}`));
    await first.run.kill("SIGKILL");
    const killedAt = Date.now();
    kit.ev.notes.push(`agents of run-${first.suffix} killed at ${phase}`);
    // The operator's answer to agents gone silent: revoke them; their tokens must stop working.
    for (const who of ["orchestrator", "alpha", "beta", "gamma"]) {
      const r = await kit.procs.agov(
        ["token", "revoke", "--agent", `${who}-${first.suffix}`],
        kit.env,
      );
      if (r.code === 0) kit.ev.notes.push(`revoked ${who}-${first.suffix}`);
    }
    const second = await startRun(kit, server.url);
    const exit = await second.run.exit;
    kit.ev.notes.push(`a new run after the kill ended with exit ${exit.code}`);
    if (exit.code !== 0)
      kit.ev.recovery = {
        kind: "not-recovered",
        detail: `a new agov run failed (exit ${exit.code})`,
      };
    else await recovery(kit, killedAt, () => server.child().alive());
    await work.stop();
    await kit.collect(server.url, [server]);
  },
};

const modelFaults: Scenario = {
  name: "model-faults",
  summary:
    "the model endpoint answers 500, 429, garbage or hangs then drops, while agents run on it",
  needsRedis: false,
  async run(kit) {
    const model = await startFakeModel(kit.rng.fork("model"), 0.25, kit.quick ? 1500 : 10_000);
    try {
      const server = await kit.serve();
      const work = await startWork(kit, [() => server.url], 2);
      const env = { OPENAI_BASE_URL: model.url, OPENAI_API_KEY: "chaos" };
      const run = await startRun(kit, server.url, env);
      const exit = await run.run.exit;
      model.heal();
      const healed = Date.now();
      const served = Object.entries(model.faults)
        .map(([k, n]) => `${n}x ${k}`)
        .join(", ");
      kit.ev.notes.push(
        `model faults served: ${served}; ${model.good} good answers; the run exited ${exit.code}`,
      );
      if (exit.code === null) throw new Error(`agov run was killed by ${exit.signal}`);
      await recovery(kit, healed, () => server.child().alive());
      await work.stop();
      await kit.collect(server.url, [server]);
    } finally {
      await model.close();
    }
  },
};

export const PROCESS_SCENARIOS: Scenario[] = [serverKill, agentKill, modelFaults];
