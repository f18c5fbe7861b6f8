// The runner on a real-model path that misbehaves: provider faults are ridden out and never
// charged, an agent revoked for its own faults is replaced from its handoff, and a slow model does
// not make a working agent look STUCK.
import { afterEach, describe, expect, it } from "vitest";
import { STANCE, TASK } from "../../agents/llm-prompts.js";
import type { Model } from "../../agents/model.js";
import { createModel } from "../../agents/model.js";
import { createOfflineModel } from "../../agents/offline-model.js";
import { renderReport } from "../../agents/result.js";
import { AGENT_TEMPLATES } from "../../src/governance/templates.js";
import { manualClock } from "../../src/util/clock.js";
import { type FakeOpenAI, rawAnswer, startFakeOpenAI } from "../support/fake-openai.js";
import type { InProc } from "../support/inproc.js";
import { offlineReply, runInProc } from "../support/runner.js";

let env: InProc | undefined;
let fake: FakeOpenAI | undefined;
afterEach(async () => {
  await env?.close();
  await fake?.close();
  env = undefined;
  fake = undefined;
});

const OBJECTIVE = "Design a distributed event-driven analytics platform";
const isAlpha = (body: Record<string, unknown>) =>
  (body.messages as Array<{ role: string; content: string }>).some(
    (m) => m.role === "system" && m.content.includes(STANCE.ALPHA),
  );
const userMessage = (body: Record<string, unknown>) =>
  (body.messages as Array<{ role: string; content: string }>).find((m) => m.role === "user")
    ?.content ?? "";
const badRequest = { status: 400, json: { error: { message: "context length exceeded" } } };

describe("agov run when a model misbehaves", () => {
  it("replaces an agent revoked for its own faults with a fresh one that continues from its handoff", async () => {
    fake = await startFakeOpenAI();
    // ALPHA's first two requests are refused as ALPHA's own (a 400: the request it built), which
    // its budget punishes (SAME_ERROR_REPEATED); every request after that is answered well.
    let refused = 0;
    fake.setFallback((body) => (isAlpha(body) && refused++ < 2 ? badRequest : offlineReply(body)));
    const model = createModel({ OPENAI_BASE_URL: fake.url }, { sleep: async () => {} });
    const run = await runInProc({ objective: OBJECTIVE, model, replacements: 1 });
    env = run.env;
    const revoked = (await env.rt.ledger.revocations()).map((r) => [r.agent_id, r.reason_type]);
    expect(revoked).toEqual([["alpha", "SAME_ERROR_REPEATED"]]);
    expect(run.result.replacements).toEqual([
      { role: "ALPHA", replaced: "alpha", by: "alpha-r1", reason: expect.any(String) },
    ]);
    expect(run.result.metrics.consensus).toBe("accepted");
    // The fresh agent has its own packet and planned from the handoff its predecessor left.
    const packet = await env.rt.governance.getPacket("alpha-r1");
    expect(packet).toMatchObject({ agent_id: "alpha-r1", task_id: "task-1" });
    const plans = fake.requests
      .filter((r) => isAlpha(r.body))
      .map((r) => userMessage(r.body))
      .filter((text) => text.includes(`Task: ${TASK.plan}`));
    expect(plans.at(-1)).toMatch(/"previous_agent_id": "alpha"/);
    expect(renderReport(run.result)).toMatch(
      /alpha-r1.*replaced.*alpha|alpha.*replaced by.*alpha-r1/,
    );
    expect((await env.rt.ledger.verify()).ok).toBe(true);
  });

  it("replaces a mediator revoked for its own faults too", async () => {
    fake = await startFakeOpenAI();
    const isGamma = (body: Record<string, unknown>) =>
      (body.messages as Array<{ role: string; content: string }>).some(
        (m) => m.role === "system" && m.content.includes(STANCE.GAMMA),
      );
    let refused = 0;
    fake.setFallback((body) => (isGamma(body) && refused++ < 2 ? badRequest : offlineReply(body)));
    const model = createModel({ OPENAI_BASE_URL: fake.url }, { sleep: async () => {} });
    // Settles the scale-versus-cost trade-off both ways: the peers conflict and GAMMA mediates.
    const run = await runInProc({
      objective: "Design a distributed, low-cost analytics platform",
      model,
      replacements: 1,
    });
    env = run.env;
    const revoked = (await env.rt.ledger.revocations()).map((r) => [r.agent_id, r.reason_type]);
    expect(revoked).toEqual([["gamma", "SAME_ERROR_REPEATED"]]);
    expect(run.result.replacements).toEqual([
      { role: "GAMMA", replaced: "gamma", by: "gamma-r1", reason: expect.any(String) },
    ]);
    expect(run.result.metrics.consensus).toBe("accepted");
  });

  it("replaces at most N times per role", async () => {
    fake = await startFakeOpenAI();
    fake.setFallback((body) => (isAlpha(body) ? badRequest : offlineReply(body)));
    const model = createModel({ OPENAI_BASE_URL: fake.url }, { sleep: async () => {} });
    const run = await runInProc({ objective: OBJECTIVE, model, replacements: 1, waitMs: 300 });
    env = run.env;
    const revoked = (await env.rt.ledger.revocations()).map((r) => r.agent_id).sort();
    expect(revoked).toEqual(["alpha", "alpha-r1"]);
    expect(run.result.replacements.map((r) => r.by)).toEqual(["alpha-r1"]);
    expect(await env.rt.governance.getPacket("alpha-r2")).toBeNull();
  });

  it("never charges a model that answers garbage: nobody revoked, and no consensus names the endpoint", async () => {
    fake = await startFakeOpenAI();
    fake.setFallback(() => rawAnswer("<html><body>502 Bad Gateway</body></html>"));
    const model = createModel(
      { OPENAI_BASE_URL: fake.url },
      { sleep: async () => {}, maxAttempts: 2 },
    );
    const run = await runInProc({ objective: OBJECTIVE, model, waitMs: 300 });
    env = run.env;
    expect(await env.rt.ledger.revocations()).toEqual([]);
    expect(run.result.revoked).toEqual([]);
    for (const agent of ["alpha", "beta"])
      expect((await env.rt.state.errors.get(agent)).total_errors).toBe(0);
    expect(run.result.metrics.consensus).toBe("none");
    expect(run.result.outcome.reason).toContain(`model endpoint ${fake.url}`);
    expect(run.result.outcome.reason).toMatch(/malformed_output/);
  });

  it("a model that takes 40 s per answer does not make its agent look STUCK (injected clock)", async () => {
    const clock = manualClock();
    let inProc: InProc | undefined;
    const offline = createOfflineModel();
    let calls = 0;
    let gaveUp = false;
    // Each answer takes 40 s of the server's clock (STUCK fires after 30 s of silence), in 5 s
    // steps; after each step the test waits for every working agent to have shown a sign of life
    // at the new time, as it would have within 5 s of real time. An agent that does not beat while
    // its model thinks never does: the test stops waiting (once, up to 2 s) and STUCK fires.
    const slow: Model = {
      name: "slow-offline",
      async generate(req, schema) {
        calls++;
        for (let step = 0; step < 8; step++) {
          clock.advance(5000);
          if (!gaveUp && !(await everyoneBeat(inProc!, clock.now()))) gaveUp = true;
        }
        return offline.generate(req, schema);
      },
    };
    const started = clock.now();
    const run = await runInProc({
      objective: OBJECTIVE,
      model: slow,
      runtime: { clock },
      heartbeatMs: 5,
      onStart: (e) => {
        inProc = e;
      },
    });
    env = run.env;
    expect(calls).toBeGreaterThan(5);
    expect(clock.now() - started).toBeGreaterThanOrEqual(calls * 40_000);
    expect(run.events.filter((e) => e.type === "spawn" && e.reason === "STUCK")).toEqual([]);
    expect(run.result.metrics.gamma_spawn_reason).not.toBe("STUCK");
    expect(run.result.metrics.consensus).toBe("accepted");
    expect(gaveUp).toBe(false);
  });
});

describe("an agent revoked while its model thinks", () => {
  it("stops the model call at its next heartbeat, and a fresh agent takes over", async () => {
    const offline = createOfflineModel();
    let held = 0;
    // ALPHA's first plan never comes back on its own: only the call's signal ends it.
    const model: Model = {
      name: "offline-held",
      generate(req, schema) {
        if (req.role === "ALPHA" && req.kind === "plan" && held++ === 0)
          return new Promise((_resolve, reject) => {
            const stop = () => reject(req.signal?.reason);
            if (req.signal?.aborted) stop();
            else req.signal?.addEventListener("abort", stop, { once: true });
          });
        return offline.generate(req, schema);
      },
    };
    const run = await runInProc({
      objective: OBJECTIVE,
      model,
      replacements: 1,
      heartbeatMs: 5,
      // Without the heartbeat's stop, the held call would last until the run's timeout.
      timeoutMs: 10_000,
      onStart: (e) => {
        void (async () => {
          for (;;) {
            const roster = await e.rt.state.roster.read("task-1");
            if (roster.alpha?.phase === "PLAN") break;
            await new Promise((r) => setTimeout(r, 5));
          }
          const admin = await e.connect("admin", 4);
          await admin.call("agent_revoke", { agent_id: "alpha", reason: "operator stop" });
        })();
      },
    });
    env = run.env;
    expect(held).toBeGreaterThanOrEqual(1);
    expect(run.result.revoked.map((r) => r.agent)).toEqual(["alpha"]);
    expect(run.result.replacements.map((r) => r.by)).toEqual(["alpha-r1"]);
    expect(run.result.metrics.consensus).toBe("accepted");
    expect(run.result.timed_out).toBe(false);
  });
});

/** Every agent still at work on task-1 has beaten (or moved) at `now` or later. */
async function everyoneBeat(e: InProc, now: number): Promise<boolean> {
  const limit = Date.now() + 2000;
  while (Date.now() < limit) {
    const roster = await e.rt.state.roster.read("task-1");
    let all = true;
    for (const [agent, line] of Object.entries(roster)) {
      if (["REPORT", "EXIT", "REVOKED"].includes(line.phase)) continue;
      const beat = (await e.rt.state.agents.lastHeartbeat(agent)) ?? 0;
      if (Math.max(beat, line.at) < now) all = false;
    }
    if (all) return true;
    await new Promise((r) => setTimeout(r, 2));
  }
  return false;
}

describe("agov run with specialist agents", () => {
  it("adds a Terraform specialist beside ALPHA and BETA, with its template's packet and tier, its review posted where the mediator reads critiques", async () => {
    const terraform = AGENT_TEMPLATES.find((t) => t.name === "terraform-specialist")!;
    const run = await runInProc({
      // Scale and low cost at once: a conflict, so GAMMA synthesises and reads every review.
      objective: "Design a distributed, low-cost analytics platform",
      specialists: [{ id: "terraform", name: "terraform", template: terraform }],
    });
    env = run.env;
    expect(run.result.metrics.consensus).toBe("accepted");
    expect(await env.rt.governance.getPacket("terraform")).toMatchObject({
      task_id: "task-1",
      deliverables: ["terraform-plan", "risk-assessment"],
    });
    const token = (await env.rt.authority.list()).find((t) => t.agent_id === "terraform");
    expect(token?.tier).toBe(1);
    const recorded = (await env.rt.ledger.query({ agent_id: "terraform", tool: "artifact_record" }))
      .length;
    expect(recorded).toBeGreaterThanOrEqual(3); // plan, terraform-plan, risk-assessment
    expect(run.result.specialists).toEqual([
      expect.objectContaining({ name: "terraform", agent: "terraform", tier: 1, completed: true }),
    ]);
    expect(run.result.specialists[0]?.artifacts).toEqual(
      expect.arrayContaining(["terraform-plan", "risk-assessment"]),
    );
    // Its review is on the blackboard where GAMMA reads critiques.
    const board = await env.rt.state.blackboard.read("task-1", "progress");
    expect(board.some((e) => e.key === "eval-terraform")).toBe(true);
    expect(renderReport(run.result)).toMatch(/## Specialists[\s\S]*terraform/);
    expect(await env.rt.ledger.revocations()).toEqual([]);
  });
});
