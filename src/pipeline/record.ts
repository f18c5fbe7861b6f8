// Durable run state: the run record, checkpointed in the StateStore with a ledger row on every
// transition, and the two things written by others while a run waits (gate decisions, stage claims).

import { z } from "zod";
import type { Ledger } from "../ledger/index.js";
import type { GateDecision, PipelineRunSummary, StageClaim, StateStore } from "../state/index.js";
import type { Clock } from "../util/clock.js";
import { dict } from "../util/dict.js";
import { AgovError } from "../util/errors.js";
import { type PipelineDef, type RunRecord, STAGE_STATUSES, type StageRecord } from "./types.js";

const INDEX_MAX = 200;

export type { GateDecision, StageClaim } from "../state/index.js";
export type RunSummary = PipelineRunSummary;

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

/**
 * The stored run is checked on read: its envelope exactly, the pipeline definition and stage
 * records by shape (the definition was validated when the run started).
 */
const RUN_RECORD = z.looseObject({
  run_id: z.string(),
  pipeline: z.looseObject({ name: z.string(), stages: z.array(z.looseObject({})) }),
  objective: z.string(),
  status: z.enum(["running", "waiting", "succeeded", "failed", "rejected"]),
  reason: z.string().nullable(),
  started_by: z.string(),
  created_at: z.number(),
  updated_at: z.number(),
  seq: z.number(),
  stages: z.record(z.string(), z.looseObject({ status: z.enum(STAGE_STATUSES) })),
  assign: z.record(z.string(), z.string()),
  runner: z.looseObject({ holder: z.string(), lease_id: z.string() }).nullable(),
});

export function createRunStore(deps: { state: StateStore; ledger: Ledger; clock: Clock }) {
  const { state, ledger, clock } = deps;
  const runs = state.pipelineRuns;

  return {
    /** Checkpoints the record (state first, then its ledger row: what happened, and why). */
    async checkpoint(record: RunRecord, what: string): Promise<void> {
      record.seq++;
      record.updated_at = clock.now();
      await runs.put(record.run_id, record);
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
      const raw = await runs.get(runId);
      if (raw === null) return null;
      const parsed = RUN_RECORD.safeParse(raw);
      if (!parsed.success)
        throw new AgovError(
          "INTERNAL",
          `stored pipeline run ${runId} is not in the shape agov writes (${parsed.error.issues[0]?.message}); the state store holds foreign or damaged data`,
        );
      // The check above is the shape; the record is what this module wrote.
      return parsed.data as unknown as RunRecord;
    },
    /** Adds the run to the list of runs (its own entry: runs started together are all kept). */
    async index(record: RunRecord): Promise<void> {
      await runs.index({
        run_id: record.run_id,
        pipeline: record.pipeline.name,
        created_at: record.created_at,
      });
    },
    /** Newest first. */
    list: (): Promise<RunSummary[]> => runs.list(INDEX_MAX),
    decision: (runId: string, stage: string) => runs.decision(runId, stage),
    decide: (runId: string, stage: string, d: GateDecision) => runs.putDecision(runId, stage, d),
    /** A reopened gate starts with no decision: one stored for its last wait no longer counts. */
    clearDecision: (runId: string, stage: string) => runs.putDecision(runId, stage, null),
    claim: (runId: string, stage: string) => runs.claim(runId, stage),
    putClaim: (runId: string, stage: string, c: StageClaim) => runs.putClaim(runId, stage, c),
  };
}

export type RunStore = ReturnType<typeof createRunStore>;
