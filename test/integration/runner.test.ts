// The bundled runner against an in-process agov: the agents are plain MCP clients with their own
// tokens, the governance is the server's.
import { afterEach, describe, expect, it } from "vitest";
import { createModel } from "../../agents/model.js";
import { createOfflineModel } from "../../agents/offline-model.js";
import { renderReport } from "../../agents/result.js";
import { manualClock } from "../../src/util/clock.js";
import { type FakeOpenAI, rawAnswer, startFakeOpenAI } from "../support/fake-openai.js";
import type { InProc } from "../support/inproc.js";
import { offlineReply, runInProc, votingModel } from "../support/runner.js";

let env: InProc | undefined;
let fake: FakeOpenAI | undefined;
afterEach(async () => {
  await env?.close();
  await fake?.close();
  env = undefined;
  fake = undefined;
});

const OBJECTIVE = "Design a distributed event-driven analytics platform";

describe("agov run with the offline model", () => {
  it("has ALPHA and BETA disagree, spawns GAMMA on CONFLICT and reaches consensus on its synthesis", async () => {
    // Scale and low cost at once: the objective leaves the trade-off to the agents.
    const run = await runInProc({ objective: "Design a distributed, low-cost analytics platform" });
    env = run.env;
    const { result } = run;
    expect(result.metrics).toMatchObject({
      gamma_spawned: true,
      gamma_spawn_reason: "CONFLICT",
      consensus: "accepted",
      refused_calls: 0,
    });
    const byAuthor = (a: string) => result.proposals.filter((p) => p.author === a);
    expect(byAuthor("alpha").every((p) => p.status === "rejected")).toBe(true);
    expect(byAuthor("beta").every((p) => p.status === "rejected")).toBe(true);
    expect(byAuthor("gamma")).toMatchObject([{ status: "accepted" }]);
    expect(result.outcome.title).toMatch(/GAMMA synthesis/);
    for (const agent of ["orch", "alpha", "beta", "gamma"])
      expect((await env.rt.ledger.query({ agent_id: agent })).length).toBeGreaterThan(0);
    for (const agent of ["alpha", "beta", "gamma"])
      expect(await env.rt.ledger.metrics(agent)).toMatchObject({
        total_runs: 1,
        compliant_runs: 1,
      });
    expect((await env.rt.ledger.verify()).ok).toBe(true);
  });

  it("reacts to agov's updates instead of polling: a run whose polls never come still finishes", async () => {
    // Polls an hour apart would stall both the orchestrator and the agents until the timeout; the
    // resource subscriptions wake them at each change instead.
    const run = await runInProc({
      // Settles the scale-versus-cost trade-off both ways, so the offline peers conflict.
      objective: "Design a distributed, low-cost analytics platform",
      pollMs: 3_600_000,
      agentPollMs: 3_600_000,
      timeoutMs: 30_000,
    });
    env = run.env;
    expect(run.result.timed_out).toBe(false);
    expect(run.result.metrics).toMatchObject({
      gamma_spawn_reason: "CONFLICT",
      consensus: "accepted",
    });
    const subscribed = (await env.rt.ledger.query({ agent_id: "orch", tool: "spawn_conditions" }))
      .map((r) => r.action)
      .filter((a) => a.startsWith("resources/subscribe"));
    expect(subscribed).toEqual(["resources/subscribe agov://tasks/task-1/spawn-conditions"]);
  });

  it("reaches consensus without a conflict when the peers agree, and GAMMA only validates", async () => {
    const run = await runInProc({
      objective: OBJECTIVE,
      model: votingModel(createOfflineModel(), "approve"),
    });
    env = run.env;
    expect(run.result.metrics).toMatchObject({
      gamma_spawned: true,
      gamma_spawn_reason: "SUCCESS",
      consensus: "accepted",
    });
    expect(run.result.outcome.title).not.toMatch(/GAMMA/);
    expect(run.result.proposals.some((p) => p.author === "gamma")).toBe(false);
  });

  it("writes a report that depends on the objective", async () => {
    const a = await runInProc({ objective: OBJECTIVE });
    await a.env.close();
    const b = await runInProc({ objective: "Migrate a monolith to Kubernetes" });
    env = b.env;
    const ra = renderReport(a.result);
    const rb = renderReport(b.result);
    expect(ra).toMatch(/^# Design a distributed event-driven analytics platform/);
    expect(rb).toMatch(/^# Migrate a monolith to Kubernetes/);
    const components = (r: typeof a.result) =>
      ((r.outcome.proposal?.components ?? []) as Array<{ name: string }>).map((c) => c.name);
    expect(components(a.result).length).toBeGreaterThan(2);
    expect(components(a.result)).not.toEqual(components(b.result));
  });

  it("spawns GAMMA on STUCK when BETA stalls (injected clock)", async () => {
    const clock = manualClock();
    let inProc: InProc | undefined;
    const run = await runInProc({
      objective: OBJECTIVE,
      runtime: { clock },
      waitMs: 1000,
      onStart: (e) => {
        inProc = e;
      },
      hooks: {
        async beforePhase(role, phase, signal) {
          if (role !== "BETA" || phase !== "EXECUTE") return;
          // BETA goes silent in PLAN; once ALPHA waits in VERIFY, 30 s pass on the server.
          for (;;) {
            const roster = await inProc!.rt.state.roster.read("task-1");
            if (roster.alpha?.phase === "VERIFY" || signal.aborted) break;
            await new Promise((r) => setTimeout(r, 10));
          }
          clock.advance(30_000);
          await inProc!.rt.state.agents.heartbeat("alpha", 60_000); // ALPHA kept beating meanwhile
          await new Promise<void>((r) =>
            signal.addEventListener("abort", () => r(), { once: true }),
          );
        },
      },
    });
    env = run.env;
    expect(run.result.metrics.gamma_spawn_reason).toBe("STUCK");
    const spawn = run.events.find((e) => e.type === "spawn");
    expect(spawn).toMatchObject({ reason: "STUCK" });
    expect(spawn && "detail" in spawn ? spawn.detail : "").toMatch(/beta/);
    expect(run.result.proposals.find((p) => p.author === "gamma")).toMatchObject({
      status: "accepted",
    });
  });
});

describe("agov run with an OpenAI-compatible model", () => {
  it("recovers from a 429 and a malformed reply, and puts both on the ledger", async () => {
    fake = await startFakeOpenAI();
    fake.script.push(
      { status: 429, json: { error: { message: "slow down" } } },
      rawAnswer("{oops"),
    );
    // After those two, every request gets the answer the offline model would give.
    fake.setFallback(offlineReply);
    const model = createModel(
      { OPENAI_BASE_URL: fake.url },
      { sleep: async () => {}, maxAttempts: 3 },
    );
    const run = await runInProc({ objective: OBJECTIVE, model });
    env = run.env;
    expect(run.result.metrics.consensus).toBe("accepted");
    const reported = (await env.rt.ledger.query({ tool: "error_report" }))
      .filter((r) => r.action.startsWith("error_report:"))
      .map((r) => (JSON.parse(r.detail ?? "{}") as { error_type?: string }).error_type);
    expect(reported).toEqual(
      expect.arrayContaining(["model_rate_limited", "model_malformed_output"]),
    );
    expect(await env.rt.ledger.revocations()).toEqual([]);
  });

  it("rides out a model outage: reported as the model's, charged to nobody, nobody revoked", async () => {
    fake = await startFakeOpenAI();
    // Eight 500s in a row (what a few seconds of outage gives two agents), then normal answers.
    for (let i = 0; i < 8; i++)
      fake.script.push({ status: 500, json: { error: { message: "upstream down" } } });
    fake.setFallback(offlineReply);
    const model = createModel(
      { OPENAI_BASE_URL: fake.url },
      { sleep: async () => {}, maxAttempts: 2 },
    );
    const run = await runInProc({ objective: OBJECTIVE, model });
    env = run.env;
    expect(await env.rt.ledger.revocations()).toEqual([]);
    expect(run.result.revoked).toEqual([]);
    expect(run.result.metrics.consensus).toBe("accepted");
    const reports = (await env.rt.ledger.query({ tool: "error_report" }))
      .filter((r) => r.action.startsWith("error_report:"))
      .map((r) => JSON.parse(r.detail ?? "{}") as { error_type?: string; dependency?: string });
    expect(reports.length).toBeGreaterThan(0);
    for (const r of reports)
      expect(r).toMatchObject({ error_type: "model_server_error", dependency: "model" });
    for (const agent of ["alpha", "beta"])
      expect((await env.rt.state.errors.get(agent)).total_errors).toBe(0);
  });
});
