// The pipeline service: load and validate pipelines, start and resume runs (driven in this
// process, checkpointed in the StateStore), answer status, take gate decisions and stage claims.
import { hostname } from "node:os";
import type { Caller } from "../authority/index.js";
import { wait } from "../util/clock.js";
import { AgovError } from "../util/errors.js";
import { ungranted } from "./command.js";
import { createEngine } from "./engine.js";
import {
  findByName,
  findPipeline,
  type PipelineDirs,
  pipelineNames,
  templateDirsFor,
} from "./files.js";
import { loadPipeline } from "./load.js";
import { createRunStore, newRecord } from "./record.js";
import { createStageRegistry, type EngineDeps } from "./run-context.js";
import { claimStage, decideGate } from "./service-actions.js";
import { templateLibrary } from "./templates.js";
import type { PipelineDef, PipelineEvent, RunRecord } from "./types.js";

export { PipelineError, type PipelineIssue } from "./source.js";
export type * from "./types.js";

export type PipelineServiceDeps = Omit<
  EngineDeps,
  "store" | "executors" | "onEvent" | "sleep" | "pollMs" | "host" | "pid" | "alive" | "baseDir"
> &
  Partial<Pick<EngineDeps, "sleep" | "pollMs" | "host" | "pid" | "alive" | "baseDir">> & {
    dirs: PipelineDirs;
  };

export interface StartOptions {
  text: string;
  file: string;
  objective?: string | undefined;
  started_by: string;
  assign?: Record<string, string> | undefined;
  /**
   * The starter's own tier (an MCP caller): no stage may run its agent above it, so a pipeline
   * cannot lend its starter a tier it does not hold. The CLI (an operator) passes none.
   */
  max_tier?: number | undefined;
}

export type Pipelines = ReturnType<typeof createPipelines>;

export function createPipelines(deps: PipelineServiceDeps) {
  const store = createRunStore(deps);
  const executors = createStageRegistry();
  const listeners = new Set<(e: PipelineEvent) => void>();
  const active = new Map<string, { done: Promise<RunRecord>; abort: AbortController }>();
  const engine = createEngine({
    ...deps,
    store,
    executors,
    sleep: deps.sleep ?? ((ms, signal) => wait(deps.clock, ms, signal)),
    pollMs: deps.pollMs ?? 500,
    host: deps.host ?? hostname(),
    pid: deps.pid ?? process.pid,
    alive: deps.alive ?? pidAlive,
    baseDir: deps.baseDir ?? process.cwd(),
    onEvent: (e) => {
      for (const l of listeners) l(e);
    },
  });

  function validate(text: string, file: string): PipelineDef {
    return loadPipeline(text, file, {
      templates: templateLibrary(templateDirsFor(file, deps.dirs)),
    });
  }

  function drive(record: RunRecord, by: string) {
    const abort = new AbortController();
    const done = engine
      .drive(record, abort.signal, by)
      .catch(async (err: unknown) => {
        // A run that cannot go on is marked failed with the reason, not left "running" for ever.
        // (A refused runner lock means another runner drives it: that record is not ours to mark.)
        const e = err instanceof AgovError ? err : null;
        if (e?.code !== "CONFLICT") {
          record.status = "failed";
          record.reason = `internal error: ${err instanceof Error ? err.message : String(err)}`;
          await store.checkpoint(record, `run failed: ${record.reason}`).catch(() => {});
        }
        throw err;
      })
      .finally(() => active.delete(record.run_id));
    // Handled here so a run nobody awaits (started over MCP) cannot crash the server.
    done.catch(() => {});
    active.set(record.run_id, { done, abort });
    return done;
  }

  return {
    executors,
    /** Sees every stage transition of runs driven by this process; returns the unsubscribe. */
    watch(fn: (e: PipelineEvent) => void): () => void {
      listeners.add(fn);
      return () => listeners.delete(fn);
    },
    /** A pipeline file by path or name (CLI). */
    find: (ref: string) => findPipeline(ref, deps.dirs),
    /** A pipeline by name only (MCP callers do not name server paths). */
    byName: (name: string) => findByName(name, deps.dirs),
    /** The pipelines that can be run by name. */
    names: () => pipelineNames(deps.dirs),
    validate,
    /** Validates, records and starts a run; `done` settles when it ends (or stops). */
    async start(opts: StartOptions): Promise<{ record: RunRecord; done: Promise<RunRecord> }> {
      const def = validate(opts.text, opts.file);
      if (opts.max_tier !== undefined) {
        const above = def.stages.filter(
          (st) => st.kind !== "human-gate" && st.tier > opts.max_tier!,
        );
        if (above.length > 0)
          throw new AgovError(
            "DENIED",
            `pipeline ${def.name}: stage(s) ${above.map((st) => `${st.name} (T${st.kind === "human-gate" ? "" : st.tier})`).join(", ")} would run above ${opts.started_by}'s tier T${opts.max_tier}`,
          );
      }
      // Every command of every stage is checked against its tier's policy before anything runs.
      for (const st of def.stages) {
        if (st.kind !== "command") continue;
        const refused = await ungranted(deps.authority, st);
        if (refused.length > 0)
          throw new AgovError(
            "DENIED",
            `pipeline ${def.name}: stage ${st.name} runs ${refused.map((c) => `\`${c}\``).join(", ")}, which policy does not grant to T${st.tier} (grant governance/commands/… in the tier's policy, or raise the stage's tier)`,
            { reason: "COMMAND_NOT_GRANTED" },
          );
      }
      const assign = opts.assign ?? {};
      const own = Object.entries(assign).find(([, agent]) => agent === opts.started_by);
      if (own)
        throw new AgovError(
          "DENIED",
          `assign: ${opts.started_by} cannot assign stage ${own[0]} to itself; name another agent`,
        );
      checkAssign(def, assign, (stage) => executors.resolve(def.name, stage) !== null);
      const run_id = `${def.name.slice(0, 40)}-${deps.ids.next().replace(/-/g, "").slice(0, 8)}`;
      const record = newRecord(def, {
        run_id,
        objective: opts.objective ?? "",
        started_by: opts.started_by,
        assign,
        now: deps.clock.now(),
      });
      await store.checkpoint(record, `run created by ${opts.started_by}`);
      await store.index(record);
      return { record, done: drive(record, `started by ${opts.started_by}`) };
    },
    /** Drives a stopped run on from its last completed stage. */
    async resume(runId: string, by: string) {
      const record = await mustLoad(runId);
      if (record.status === "succeeded" || record.status === "rejected")
        throw new AgovError(
          "CONFLICT",
          `run ${runId} has ${record.status}${record.reason ? ` (${record.reason})` : ""}; nothing to resume`,
        );
      if (active.has(runId))
        throw new AgovError("CONFLICT", `run ${runId} is running here already`);
      return { record, done: drive(record, `resumed by ${by}`) };
    },
    wait: (runId: string) => active.get(runId)?.done,
    status: (runId: string) => store.load(runId),
    list: (limit = 20) => store.list().then((l) => l.slice(0, limit)),
    async decide(
      runId: string,
      stage: string,
      d: { decision: "approve" | "reject"; by: string; reason?: string | undefined },
    ) {
      return decideGate(deps, store, await mustLoad(runId), stage, d);
    },
    async claim(caller: Caller, runId: string, stage: string) {
      return claimStage(deps, store, await mustLoad(runId), caller, stage);
    },
    /** Stops this process's runs where they are; their records stay resumable. */
    close(): void {
      for (const a of active.values()) a.abort.abort();
    },
  };

  async function mustLoad(runId: string): Promise<RunRecord> {
    const record = await store.load(runId);
    if (!record)
      throw new AgovError(
        "NOT_FOUND",
        `no pipeline run ${runId}; list runs with agov pipeline status`,
      );
    return record;
  }
}

function checkAssign(
  def: PipelineDef,
  assign: Record<string, string>,
  runnable: (s: string) => boolean,
) {
  for (const stage of Object.keys(assign)) {
    const s = def.stages.find((x) => x.name === stage);
    if (s?.kind !== "agent")
      throw new AgovError("INVALID_INPUT", `assign: ${stage} is not an agent stage of ${def.name}`);
  }
  const orphans = def.stages.filter(
    (s) => s.kind === "agent" && !assign[s.name] && !runnable(s.name),
  );
  if (orphans.length > 0)
    throw new AgovError(
      "INVALID_INPUT",
      `no stage agents run in this server: assign ${orphans.map((s) => s.name).join(", ")} to agents (assign: { stage: agent_id }), or run the pipeline with agov pipeline run`,
    );
}

function pidAlive(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch (err) {
    return (err as NodeJS.ErrnoException).code === "EPERM";
  }
}
