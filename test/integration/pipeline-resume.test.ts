// Resume after a runner dies mid-stage (simulated in-process: the first runner is abandoned while
// its stage hangs; a second runner, which sees the first as dead, takes the run over). Completed
// stages are not redone; the interrupted one starts over with a fresh agent.
import { join } from "node:path";
import { afterEach, describe, expect, it } from "vitest";
import { createPipelines, type Pipelines, type StageExecutor } from "../../src/pipeline/index.js";
import { type PipelineEnv, ROOT, startPipelines } from "../support/pipelines.js";

let env: PipelineEnv;
let other: Pipelines | undefined;
afterEach(async () => {
  other?.close();
  await env?.close();
});

const PIPELINE = `pipeline:
  name: deploy
  stages:
    - plan:  { agent: planner, artifacts: [terraform-plan] }
    - build: { agent: BETA, artifacts: [image] }
    - ship:  { agent: executor, requires: [plan, build] }
`;

/** Never finishes on its own: the runner "dies" while it works. */
const hang: StageExecutor = (task) =>
  new Promise((resolve) =>
    task.signal.addEventListener("abort", () => resolve({ ok: false, error: "stopped" })),
  );

/** A second runner on the same agov, with its own idea of which processes are alive. */
function secondRunner(alive: boolean): Pipelines {
  const svc = createPipelines({
    state: env.rt.state,
    ledger: env.rt.ledger,
    governance: env.rt.governance,
    authority: env.rt.authority,
    clock: env.clock,
    ids: env.rt.ids,
    dirs: { pipelines: [], templates: [join(ROOT, "templates")] },
    pid: 99_999,
    alive: () => alive,
    sleep: async () => {},
  });
  svc.executors.setDefault(env.service.executors.resolve("deploy", "plan"));
  return svc;
}

async function crashDuringBuild() {
  env = await startPipelines();
  env.service.executors.swap("build", hang);
  const { record } = await env.service.start({ text: PIPELINE, file: "p.yaml", started_by: "t" });
  await env.waitFor((e) => e.type === "stage" && e.stage === "build" && e.to === "running");
  return record.run_id;
}

describe("resume", () => {
  it("continues from the last completed stage after the runner dies mid-stage", async () => {
    const run = await crashDuringBuild();
    const stored = await env.service.status(run);
    expect(stored?.stages.build).toMatchObject({ status: "running", agents: [`${run}-build-1`] });

    other = secondRunner(false);
    const { done } = await other.resume(run, "operator:test");
    const final = await done;

    expect(final.status).toBe("succeeded");
    expect(final.stages.plan).toMatchObject({ status: "succeeded", agents: [`${run}-plan-1`] });
    expect(final.stages.build).toMatchObject({
      status: "succeeded",
      attempts: 2,
      agents: [`${run}-build-1`, `${run}-build-2`],
    });
    // On the ledger: plan ran once (one agent, one BOOTSTRAP, one start), build twice.
    const starts = (await env.rt.ledger.query({ agent_id: `pipeline:${run}`, limit: 1000 }))
      .map((r) => r.action)
      .filter((a) => / stage \w+: pending → running/.test(a));
    expect(starts.filter((a) => a.includes("stage plan:"))).toHaveLength(1);
    expect(starts.filter((a) => a.includes("stage build:"))).toHaveLength(2);
    const boots = (await env.rt.ledger.query({ tool: "phase_transition", limit: 1000 })).filter(
      (r) => r.agent_id.startsWith(`${run}-plan`) && r.args_digest !== null,
    );
    expect(new Set(boots.map((r) => r.agent_id))).toEqual(new Set([`${run}-plan-1`]));
    expect(
      (await env.rt.ledger.query({ agent_id: `pipeline:${run}`, limit: 1000 })).some((r) =>
        r.action.includes(`runner stopped during attempt 1; ${run}-build-1 retired`),
      ),
    ).toBe(true);
    // The abandoned agent can no longer act.
    const abandoned = (await env.rt.authority.list()).filter(
      (t) => t.agent_id === `${run}-build-1`,
    );
    expect(abandoned.length).toBeGreaterThan(0);
    expect(abandoned.every((t) => t.revoked)).toBe(true);
    expect(await env.rt.state.locks.status(`pipeline:run:${run}`)).toBeNull();
  });

  it("refuses to drive a run whose runner is still alive", async () => {
    const run = await crashDuringBuild();
    other = secondRunner(true);
    await expect(other.resume(run, "operator:test").then((r) => r.done)).rejects.toThrow(
      /is being driven by runner:/,
    );
  });

  it("retries a failed stage on resume, keeping the stages that succeeded", async () => {
    env = await startPipelines();
    const undo = env.service.executors.swap("build", async () => ({
      ok: false,
      error: "disk full",
    }));
    const first = await env.run(PIPELINE);
    expect(first).toMatchObject({ status: "failed", reason: "stage build failed: disk full" });
    undo();
    const { done } = await env.service.resume(first.run_id, "operator:test");
    const final = await done;
    expect(final.status).toBe("succeeded");
    expect(final.stages.plan!.agents).toEqual([`${first.run_id}-plan-1`]);
    expect(final.stages.build!.agents).toHaveLength(2);
    await expect(env.service.resume(first.run_id, "t")).rejects.toThrow(/has succeeded/);
  });
});

describe("a stage whose agent reached EXIT before the runner died", () => {
  it("is finished on resume, never executed again", async () => {
    env = await startPipelines();
    const real = env.service.executors.resolve("deploy", "build")!;
    // The stage agent runs its whole lifecycle to EXIT, then the runner dies before recording it.
    env.service.executors.swap("build", async (task) => {
      const done = await real(task);
      expect(done.ok).toBe(true);
      return hang(task);
    });
    const { record } = await env.service.start({ text: PIPELINE, file: "p.yaml", started_by: "t" });
    const run = record.run_id;
    await env.waitFor((e) => e.type === "stage" && e.stage === "build" && e.to === "running");
    const exited = async () =>
      (await env.rt.ledger.query({ agent_id: `${run}-build-1`, kind: "run" })).length > 0;
    for (let i = 0; i < 200 && !(await exited()); i++) await new Promise((r) => setTimeout(r, 10));
    expect(await env.rt.ledger.metrics(`${run}-build-1`)).toMatchObject({
      total_runs: 1,
      compliant_runs: 1,
    });

    other = secondRunner(false);
    const final = await (await other.resume(run, "operator:test")).done;
    expect(final.status).toBe("succeeded");
    expect(final.stages.build).toMatchObject({
      status: "succeeded",
      attempts: 1,
      agents: [`${run}-build-1`],
    });
    const starts = (await env.rt.ledger.query({ agent_id: `pipeline:${run}`, limit: 1000 }))
      .map((r) => r.action)
      .filter((a) => / stage build: pending → running/.test(a));
    expect(starts).toHaveLength(1);
    expect(await env.rt.ledger.query({ agent_id: `${run}-build-2` })).toEqual([]);
  });
});

describe("an assigned stage finished while no runner was alive", () => {
  it("counts the assignee's EXIT on the stage's task even after it started its next run", async () => {
    env = await startPipelines({ wait: "real" });
    const exec = await env.connect("exec-1", 3);
    const builder = await env.connect("builder-1", 2);
    const started = await exec.call("pipeline_run", {
      source: `pipeline:
  name: asg
  stages:
    - build: { agent: BETA, artifacts: [image] }
`,
      assign: { build: "builder-1" },
    });
    expect(started.isError, started.text).toBe(false);
    const run = String(started.data.run_id);
    await env.waitFor((e) => e.type === "stage" && e.stage === "build" && e.to === "waiting");
    expect((await builder.call("stage_run", { run_id: run, stage: "build" })).isError).toBe(false);
    await env.waitFor((e) => e.type === "stage" && e.stage === "build" && e.to === "running");
    env.service.close(); // the runner goes away
    await env.service.wait(run);
    const phase = async (p: string, extra = {}) => {
      const r = await builder.call("phase_transition", { phase: p, ...extra });
      expect(r.isError, `${p}: ${r.text}`).toBe(false);
    };
    await phase("BOOTSTRAP", { task_id: `${run}/build` });
    await phase("PREFLIGHT");
    await phase("PLAN");
    await builder.call("artifact_record", { name: "plan", kind: "plan", content: 1 });
    await phase("EXECUTE");
    await builder.call("artifact_record", { name: "image", kind: "deliverable", content: 1 });
    for (const p of ["VERIFY", "PACKAGE", "REPORT", "EXIT"]) await phase(p);
    // The builder moves on to its next job before anyone resumes the pipeline.
    env.clock.advance(1000);
    const next = await exec.call("packet_create", {
      agent_id: "builder-1",
      task_id: "next-job",
      objective: "next",
    });
    expect(next.isError, next.text).toBe(false);
    await phase("BOOTSTRAP", { task_id: "next-job" });
    const { done } = await env.service.resume(run, "operator:cli");
    const final = await done;
    expect(final.stages.build!.status).toBe("succeeded");
    expect(final.status).toBe("succeeded");
  });
});
