// Stage-level error handling: retries with backoff (waits asked of an injected sleep, never slept),
// on_failure, requires on a stage that did not succeed, and when branches — through the engine,
// with each stage's work swapped for a scripted implementation.
import { afterEach, beforeEach, describe, expect, it } from "vitest";
import { backoffDelay } from "../../src/pipeline/agent-stage.js";
import type { StageExecutor, StageTask } from "../../src/pipeline/index.js";
import { type PipelineEnv, startPipelines, transitions } from "../support/pipelines.js";

let env: PipelineEnv;
beforeEach(async () => {
  env = await startPipelines({ agents: false });
});
afterEach(async () => env.close());

/** Fails the first `failures` calls, then succeeds; remembers who was called. */
function flaky(failures: number, seen: StageTask[] = []): StageExecutor {
  return async (task) => {
    seen.push(task);
    return seen.length <= failures ? { ok: false, error: `boom ${seen.length}` } : { ok: true };
  };
}

describe("retry with backoff", () => {
  it("computes exponential backoff capped at max_backoff", () => {
    const p = { attempts: 5, backoff_ms: 10_000, factor: 3, max_backoff_ms: 60_000 };
    expect([1, 2, 3, 4].map((n) => backoffDelay(p, n))).toEqual([10_000, 30_000, 60_000, 60_000]);
  });

  it("retries a failing stage with a fresh agent each time, waiting 2s then 4s", async () => {
    const seen: StageTask[] = [];
    env.service.executors.swap("build", flaky(2, seen));
    const record = await env.run(`pipeline:
  name: r
  stages:
    - build: { agent: planner, retry: { attempts: 3, backoff: 2s, factor: 2 } }
`);
    expect(record.status).toBe("succeeded");
    expect(env.sleeps).toEqual([2000, 4000]);
    expect(seen.map((t) => t.agent_id)).toEqual(
      [1, 2, 3].map((n) => `${record.run_id}-build-${n}`),
    );
    expect(seen.map((t) => t.attempt)).toEqual([1, 2, 3]);
    expect(record.stages.build).toMatchObject({ status: "succeeded", attempts: 3 });
    expect(transitions(env.events, "build")).toEqual([
      "build:pending→running",
      "build:running→pending",
      "build:pending→running",
      "build:running→pending",
      "build:pending→running",
      "build:running→succeeded",
    ]);
  });

  it("fails the run after the last attempt, saying why, and never starts later stages", async () => {
    const later: StageTask[] = [];
    env.service.executors.swap("build", flaky(99));
    env.service.executors.swap("deploy", flaky(0, later));
    const record = await env.run(`pipeline:
  name: r
  stages:
    - build: { agent: planner, retry: 2 }
    - deploy: { agent: executor }
`);
    expect(record.status).toBe("failed");
    expect(record.reason).toBe("stage build failed: boom 2 (after 2 attempts)");
    expect(env.sleeps).toEqual([1000]);
    expect(later).toEqual([]);
    expect(record.stages.deploy!.status).toBe("pending");
  });

  it("turns an executor that throws into a failed attempt", async () => {
    env.service.executors.swap("build", async () => {
      throw new Error("executor crashed");
    });
    const record = await env.run(`pipeline:
  name: r
  stages:
    - build: { agent: planner }
`);
    expect(record.stages.build).toMatchObject({ status: "failed", reason: "executor crashed" });
  });
});

describe("branching", () => {
  const BRANCHY = `pipeline:
  name: branchy
  stages:
    - build:    { agent: planner, on_failure: continue }
    - deploy:   { agent: executor, requires: [build] }
    - rollback: { agent: executor, when: build.failed }
    - announce: { agent: reviewer, when: "deploy.succeeded or rollback.succeeded" }
`;

  it("takes the failure branch when a continue-on-failure stage fails", async () => {
    const ran: string[] = [];
    env.service.executors.swap("build", flaky(99));
    for (const s of ["deploy", "rollback", "announce"])
      env.service.executors.swap(s, async () => {
        ran.push(s);
        return { ok: true };
      });
    const record = await env.run(BRANCHY);
    expect(record.status).toBe("succeeded");
    expect(ran).toEqual(["rollback", "announce"]);
    expect(record.stages.deploy).toMatchObject({
      status: "skipped",
      reason: "requires build (failed)",
    });
  });

  it("takes the success branch and skips the rollback, naming the condition", async () => {
    const ran: string[] = [];
    for (const s of ["build", "deploy", "rollback", "announce"])
      env.service.executors.swap(s, async () => {
        ran.push(s);
        return { ok: true };
      });
    const record = await env.run(BRANCHY);
    expect(ran).toEqual(["build", "deploy", "announce"]);
    expect(record.stages.rollback).toMatchObject({
      status: "skipped",
      reason: "when: build.failed is false",
    });
  });

  it("swaps a stage's implementation and restores it", async () => {
    const calls: string[] = [];
    env.service.executors.setDefault(async () => {
      calls.push("default");
      return { ok: true };
    });
    const undo = env.service.executors.swap("r/build", async () => {
      calls.push("swapped");
      return { ok: true };
    });
    const text = "pipeline:\n  name: r\n  stages:\n    - build: { agent: planner }\n";
    await env.run(text);
    undo();
    await env.run(text);
    expect(calls).toEqual(["swapped", "default"]);
  });
});
