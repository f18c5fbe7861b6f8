// What the engine hands each kind of stage (agent, assigned, human gate) while a run is driven:
// its dependencies, the record, and the one way to change a stage's status (a checkpoint).
import type { Authority } from "../authority/index.js";
import type { Governance } from "../governance/index.js";
import type { Ledger } from "../ledger/index.js";
import type { StateStore } from "../state/index.js";
import type { Clock, Ids } from "../util/clock.js";
import type { RunStore } from "./record.js";
import type { PipelineEvent, RunRecord, StageExecutor, StageRecord, StageStatus } from "./types.js";

export interface StageRegistry {
  /** Replaces one stage's implementation (by `stage` or `pipeline/stage`); returns the undo. */
  swap(stage: string, impl: StageExecutor): () => void;
  /** The executor for stages nothing else claims (the CLI installs the bundled stage agent). */
  setDefault(impl: StageExecutor | null): void;
  resolve(pipeline: string, stage: string): StageExecutor | null;
}

export function createStageRegistry(initial: StageExecutor | null = null): StageRegistry {
  const swapped = new Map<string, StageExecutor>();
  let fallback = initial;
  return {
    swap(stage, impl) {
      const before = swapped.get(stage);
      swapped.set(stage, impl);
      return () => {
        if (before) swapped.set(stage, before);
        else swapped.delete(stage);
      };
    },
    setDefault(impl) {
      fallback = impl;
    },
    resolve: (pipeline, stage) =>
      swapped.get(`${pipeline}/${stage}`) ?? swapped.get(stage) ?? fallback,
  };
}

export interface EngineDeps {
  state: StateStore;
  ledger: Ledger;
  governance: Governance;
  authority: Authority;
  clock: Clock;
  ids: Ids;
  store: RunStore;
  executors: StageRegistry;
  /** Waits between polls and before retries; tests pass one that moves a manual clock. */
  sleep(ms: number, signal?: AbortSignal): Promise<void>;
  onEvent(e: PipelineEvent): void;
  /** How often a waiting gate or assigned stage looks for its answer. */
  pollMs: number;
  /** The directory a command stage's `cwd` is relative to (where agov runs). */
  baseDir: string;
  /** Identifies this runner, so a resume can tell a dead runner's lock from a live one. */
  host: string;
  pid: number;
  alive(pid: number): boolean;
}

export interface RunCtx {
  deps: EngineDeps;
  record: RunRecord;
  signal: AbortSignal;
  /** Changes a stage's status and checkpoints the run (state + ledger row). */
  move(
    stage: string,
    to: StageStatus,
    reason: string | null,
    patch?: Partial<StageRecord>,
  ): Promise<void>;
  /** Keeps the runner's lock on the run alive (throws when another runner took it over). */
  keepAlive(): Promise<void>;
}

export const TERMINAL: ReadonlySet<StageStatus> = new Set([
  "succeeded",
  "failed",
  "skipped",
  "approved",
  "rejected",
  "timed_out",
]);

export const succeeded = (s: StageRecord | undefined) =>
  s?.status === "succeeded" || s?.status === "approved";
