// A pipeline runner killed -9 at every stage boundary of infrastructure-deploy (plan → human gate
// → execute), each time resumed with `agov pipeline resume`: the run must finish, and no stage
// that finished (its agent reached EXIT) may run again.
import type { Kit } from "./kit.js";
import type { Child } from "./procs.js";
import type { Scenario } from "./scenario.js";

const PIPELINE = "infrastructure-deploy";
/** Where the runner is killed: just after the line that marks each boundary appears on stderr. */
export const BOUNDARIES: Array<[string, RegExp]> = [
  ["plan started", /plan +pending → running/],
  ["plan's agent at EXIT", /plan-1 +EXIT/],
  ["plan succeeded", /plan +running → succeeded/],
  ["gate waiting", /review +pending → waiting/],
  ["gate approved", /review +waiting → approved/],
  ["execute started", /execute +pending → running/],
  ["execute's agent at EXIT", /execute-1 +EXIT/],
  ["execute succeeded", /execute +running → succeeded/],
];
const GATE_WAITING = /review +\S+ → waiting/;

async function approve(kit: Kit, run: string): Promise<void> {
  await kit.procs.agov(["pipeline", "approve", run, "review", "--reason", "chaos"], kit.env);
}

/** Opens the gate whenever this runner reaches it. */
function approveWhenWaiting(kit: Kit, runner: Child, run: string): void {
  void runner
    .waitFor(GATE_WAITING, 120_000)
    .then(() => approve(kit, run))
    .catch(() => {});
}

async function status(
  kit: Kit,
  run: string,
): Promise<{ status: string; stages: Array<{ name: string; status: string }> }> {
  const r = await kit.procs.agov(["pipeline", "status", run, "--json"], kit.env);
  if (r.code !== 0) throw new Error(`agov pipeline status ${run} failed: ${r.stderr.trim()}`);
  return JSON.parse(r.stdout);
}

export const pipelineKill: Scenario = {
  name: "pipeline-kill",
  summary: `agov pipeline run ${PIPELINE} killed -9 at each of its ${BOUNDARIES.length} stage boundaries, then resumed`,
  needsRedis: false,
  async run(kit) {
    kit.ev.gatewayKilled = true; // the runner hosts the gateway its stage agents call
    let slowest = 0;
    const failures: string[] = [];
    const trial = async ([label, boundary]: [string, RegExp]) => {
      const first = kit.procs.start(["pipeline", "run", PIPELINE], kit.env);
      const run = (await first.waitFor(/agov pipeline {2}run (\S+) {2}/))[1] as string;
      kit.ev.pipelineRuns.push(run);
      approveWhenWaiting(kit, first, run);
      await first.waitFor(boundary, 60_000);
      await first.kill("SIGKILL");
      const resumedAt = Date.now();
      const killed = await status(kit, run);
      const at = killed.stages.map((s) => `${s.name} ${s.status}`).join(", ");
      if (killed.status === "succeeded") {
        // The kill landed after the run had finished: there is nothing to resume.
        kit.step(`killed at "${label}" after the run had finished`);
        return;
      }
      if (killed.stages.some((s) => s.name === "review" && s.status === "waiting"))
        await approve(kit, run);
      const second = kit.procs.start(["pipeline", "resume", run], kit.env);
      approveWhenWaiting(kit, second, run);
      const exit = await second.exit;
      const succeeded = new RegExp(`^run ${run} .*SUCCEEDED`, "m").test(second.stdout());
      slowest = Math.max(slowest, Date.now() - resumedAt);
      kit.step(
        `killed at "${label}" (${at}); resumed: exit ${exit.code}${succeeded ? ", succeeded" : ""}`,
      );
      if (!succeeded)
        failures.push(`${label}: run did not succeed after resume (exit ${exit.code})`);
    };
    // Two runs at a time, each on its own run id in the same AGOV_HOME.
    const queue = [...BOUNDARIES];
    const lane = async () => {
      for (let next = queue.shift(); next; next = queue.shift()) await trial(next);
    };
    await Promise.all([lane(), lane()]);
    kit.ev.recovery = failures.length
      ? { kind: "not-recovered", detail: failures.join("; ") }
      : {
          kind: "recovered",
          ms: slowest,
          restarted: true,
          what: `all ${BOUNDARIES.length} runs finished after resume; slowest`,
        };
    await kit.collect(undefined, []);
  },
};
