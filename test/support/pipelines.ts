// A pipeline service on an in-process agov (temp AGOV_HOME, manual clock) with the bundled stage
// agents on in-memory sessions and an injected sleep, so runs, retries and gates need no waiting.
import { join } from "node:path";
import type { Model } from "../../agents/model.js";
import { createOfflineModel } from "../../agents/offline-model.js";
import type { Authority } from "../../src/authority/index.js";
import { installStageAgents } from "../../src/cli/pipeline-agents.js";
import { createPipelines, type PipelineEvent, type Pipelines } from "../../src/pipeline/index.js";
import { manualClock } from "../../src/util/clock.js";
import { type InProc, startInProc } from "./inproc.js";

export const ROOT = join(import.meta.dirname, "..", "..");

export interface PipelineEnv extends InProc {
  service: Pipelines;
  clock: ReturnType<typeof manualClock>;
  /** Every wait the engine asked for, in ms (retry backoffs, gate polls). */
  sleeps: number[];
  events: PipelineEvent[];
  /** Runs at every wait the engine asks for, before the clock moves (a test acts at a gate here). */
  onSleep: ((ms: number) => Promise<void>) | null;
  /** Resolves with the first event (already seen, or to come) that matches. */
  waitFor(match: (e: PipelineEvent) => boolean): Promise<PipelineEvent>;
  /** Starts a run of YAML source and waits for it to end. */
  run(text: string, opts?: { assign?: Record<string, string> }): Promise<RunResult>;
}

type RunResult = Awaited<Awaited<ReturnType<Pipelines["start"]>>["done"]>;

export async function startPipelines(
  opts: {
    /** Install the bundled stage agents as the default executor (default true). */
    agents?: boolean;
    model?: Model;
    pollMs?: number;
    /** "clock": each wait moves the manual clock (default); "real": a short real wait instead. */
    wait?: "clock" | "real";
    alive?: (pid: number) => boolean;
    /** Wraps the authority the engine uses (a test makes it fail). */
    authority?: (real: Authority) => Authority;
  } = {},
): Promise<PipelineEnv> {
  const clock = manualClock();
  const env = await startInProc({ clock });
  const sleeps: number[] = [];
  const events: PipelineEvent[] = [];
  let self: PipelineEnv | undefined;
  const service = createPipelines({
    state: env.rt.state,
    ledger: env.rt.ledger,
    governance: env.rt.governance,
    authority: opts.authority ? opts.authority(env.rt.authority) : env.rt.authority,
    clock,
    ids: env.rt.ids,
    dirs: { pipelines: [join(ROOT, "pipelines")], templates: [join(ROOT, "templates")] },
    pollMs: opts.pollMs ?? 60_000,
    ...(opts.alive ? { alive: opts.alive } : {}),
    async sleep(ms) {
      sleeps.push(ms);
      await self?.onSleep?.(ms);
      if (opts.wait === "real") await new Promise((r) => setTimeout(r, 2));
      else {
        clock.advance(ms);
        await new Promise((r) => setImmediate(r));
      }
    },
  });
  env.rt.pipelines = service;
  service.watch((e) => events.push(e));
  if (opts.agents !== false)
    installStageAgents(env.gateway, { model: opts.model ?? createOfflineModel() });
  self = {
    ...env,
    service,
    clock,
    sleeps,
    events,
    onSleep: null,
    waitFor(match) {
      const seen = events.find(match);
      if (seen) return Promise.resolve(seen);
      return new Promise((resolve) => {
        const stop = service.watch((e) => {
          if (!match(e)) return;
          stop();
          resolve(e);
        });
      });
    },
    async run(text, runOpts = {}) {
      const { done } = await service.start({
        text,
        file: "test.yaml",
        started_by: "test",
        assign: runOpts.assign,
      });
      return done;
    },
    async close() {
      service.close();
      await env.close();
    },
  };
  return self;
}

/** The stage transitions of a run, as `stage:from→to`. */
export function transitions(events: PipelineEvent[], stage?: string): string[] {
  return events.flatMap((e) =>
    e.type === "stage" && (!stage || e.stage === stage) ? [`${e.stage}:${e.from}→${e.to}`] : [],
  );
}
