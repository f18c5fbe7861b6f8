// Durable run state: the run record, checkpointed in the StateStore with a ledger row on every
// transition, and the two things written by others while a run waits (gate decisions, stage claims).
import type { Ledger } from "../ledger/index.js";
import type { StateStore } from "../state/index.js";
import { updateEntry } from "../state/update.js";
import type { Clock } from "../util/clock.js";
import { dict } from "../util/dict.js";
import type { PipelineDef, RunRecord, StageRecord } from "./types.js";

const RUNS = "pipeline:run";
const INDEX = "pipeline:index";
const DECISIONS = "pipeline:gate";
const CLAIMS = "pipeline:claim";
const INDEX_MAX = 200;

export interface GateDecision {
  decision: "approve" | "reject";
  by: string;
  reason: string;
  at: number;
}

export interface StageClaim {
  agent_id: string;
  at: number;
}

export interface RunSummary {
  run_id: string;
  pipeline: string;
  created_at: number;
}

export const stageTaskId = (runId: string, stage: string) => `${runId}/${stage}`;
export const runnerLock = (runId: string) => `pipeline:run:${runId}`;

export function newRecord(
  def: PipelineDef,
  opts: {
    run_id: string;
    objective: string;
    started_by: string;
    assign: Record<string, string>;
    now: number;
  },
): RunRecord {
  const stages = dict<StageRecord>();
  for (const s of def.stages)
    stages[s.name] = {
      status: "pending",
      attempts: 0,
      agents: [],
      task_id: stageTaskId(opts.run_id, s.name),
      artifacts: [],
      started_at: null,
      finished_at: null,
      deadline: null,
      assignee: opts.assign[s.name] ?? null,
      reason: null,
      decided_by: null,
    };
  return {
    run_id: opts.run_id,
    pipeline: def,
    objective: opts.objective,
    status: "running",
    reason: null,
    started_by: opts.started_by,
    created_at: opts.now,
    updated_at: opts.now,
    seq: 0,
    stages,
    assign: opts.assign,
    runner: null,
  };
}

export function createRunStore(deps: { state: StateStore; ledger: Ledger; clock: Clock }) {
  const { state, ledger, clock } = deps;
  const cp = state.checkpoints;
  const indexEntry = async () =>
    (await state.blackboard.read(INDEX, "progress")).find((e) => e.key === "runs");

  return {
    /** Checkpoints the record (state first, then its ledger row: what happened, and why). */
    async checkpoint(record: RunRecord, what: string): Promise<void> {
      record.seq++;
      record.updated_at = clock.now();
      await cp.save(RUNS, record.run_id, record);
      await ledger.record(
        {
          kind: "pipeline",
          agent_id: `pipeline:${record.run_id}`,
          action: `pipeline ${record.pipeline.name} ${record.run_id} #${record.seq}: ${what}`,
          decision: "allow",
        },
        { success: true },
      );
    },
    async load(runId: string): Promise<RunRecord | null> {
      return ((await cp.load(RUNS, runId))?.data as RunRecord | undefined) ?? null;
    },
    /**
     * Adds the run to the list of runs. The list is a versioned blackboard entry written with a
     * version check, so runs started at the same moment by several processes are all kept.
     */
    async index(record: RunRecord): Promise<void> {
      const entry = {
        run_id: record.run_id,
        pipeline: record.pipeline.name,
        created_at: record.created_at,
      };
      await updateEntry<RunSummary[]>(
        state,
        { task_id: INDEX, section: "progress", key: "runs", author: "pipeline" },
        (runs = []) => [entry, ...runs].slice(0, INDEX_MAX),
        50,
      );
    },
    /** Newest first. */
    async list(): Promise<RunSummary[]> {
      return ((await indexEntry())?.value as RunSummary[] | undefined) ?? [];
    },
    async decision(runId: string, stage: string): Promise<GateDecision | null> {
      return ((await cp.load(DECISIONS, `${runId}/${stage}`))?.data as GateDecision) ?? null;
    },
    async decide(runId: string, stage: string, d: GateDecision): Promise<void> {
      await cp.save(DECISIONS, `${runId}/${stage}`, d);
    },
    /** A reopened gate starts with no decision: one stored for its last wait no longer counts. */
    async clearDecision(runId: string, stage: string): Promise<void> {
      await cp.save(DECISIONS, `${runId}/${stage}`, null);
    },
    async claim(runId: string, stage: string): Promise<StageClaim | null> {
      return ((await cp.load(CLAIMS, `${runId}/${stage}`))?.data as StageClaim) ?? null;
    },
    async putClaim(runId: string, stage: string, c: StageClaim): Promise<void> {
      await cp.save(CLAIMS, `${runId}/${stage}`, c);
    },
  };
}

export type RunStore = ReturnType<typeof createRunStore>;
