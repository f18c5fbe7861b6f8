// The shapes of the pipeline domain: a validated pipeline definition (what the YAML resolves to),
// a run's durable record (what every checkpoint holds), and the stage executor seam.
import type { Tier } from "../authority/index.js";
import type { Condition } from "./when.js";

export interface RoleDef {
  name: string;
  tier: Tier;
  description: string;
  builtin: boolean;
}

export interface RetryPolicy {
  /** Attempts in all, the first included. */
  attempts: number;
  /** Wait before the second attempt; multiplied by `factor` per attempt, capped at max_backoff_ms. */
  backoff_ms: number;
  factor: number;
  max_backoff_ms: number;
}

interface StageBase {
  name: string;
  /** Line of the stage in its file, for messages. */
  line: number;
  requires: string[];
  /** The `when:` text as written, and its parsed form. */
  when: { text: string; cond: Condition } | null;
}

export interface AgentStageDef extends StageBase {
  kind: "agent";
  role: string;
  /** The tier the stage's agent works at: the stage's own `tier`, or its role's. */
  tier: Tier;
  objective: string;
  artifacts: string[];
  retry: RetryPolicy;
  on_failure: "stop" | "continue";
  timeout_ms: number;
  template: string | null;
}

export interface GateStageDef extends StageBase {
  kind: "human-gate";
  timeout_ms: number;
  prompt: string;
}

/** One command of a command stage, as validated. */
export interface CommandStep {
  argv: string[];
  shell: boolean;
  /** Where it runs: relative to the directory agov runs in, which it must stay within. */
  cwd: string | null;
  /** Variables passed through from agov's environment (besides PATH, HOME, LANG). */
  env: string[];
  timeout_ms: number;
  /** Bytes kept of stdout and of stderr each; the full sizes are recorded too. */
  max_output: number;
  /** The artifact its output becomes. */
  artifact: string;
}

export interface CommandStageDef extends StageBase {
  kind: "command";
  /** The tier the commands run at: each must be granted to it by policy. */
  tier: Tier;
  steps: CommandStep[];
  on_failure: "stop" | "continue";
}

export type GithubAction = "open_pull_request" | "comment" | "status" | "merge" | "wait_for_review";

export interface GithubStageDef extends StageBase {
  kind: "github";
  tier: Tier;
  repo: string;
  action: GithubAction;
  /** The action's own fields (head, base, title, body, sha, state, context, description, method). */
  fields: Partial<Record<string, string>>;
  /** The pull request: a number, or the one an earlier open_pull_request stage opened. */
  number: number | null;
  pull_request_of: string | null;
  /** wait_for_review: how long to wait for an approving review. */
  timeout_ms: number;
  on_failure: "stop" | "continue";
}

export type StageDef = AgentStageDef | GateStageDef | CommandStageDef | GithubStageDef;

export interface PipelineDef {
  name: string;
  description: string;
  file: string;
  roles: Record<string, RoleDef>;
  /** In run order: a stable topological order of `requires` and `when`, else as written. */
  stages: StageDef[];
}

import { STAGE_STATUSES, type StageStatus } from "../../protocol/pipeline.js";

export { STAGE_STATUSES, type StageStatus };

export type RunStatus = "running" | "waiting" | "succeeded" | "failed" | "rejected";

export interface StageRecord {
  status: StageStatus;
  /** Attempts started over the run's whole life (crashed ones included); names the next agent. */
  attempts: number;
  agents: string[];
  task_id: string;
  artifacts: string[];
  started_at: number | null;
  finished_at: number | null;
  /** A gate's (or an assigned stage's) deadline, kept across a resume. */
  deadline: number | null;
  /** An assigned stage's agent (stage_run). */
  assignee: string | null;
  reason: string | null;
  decided_by: string | null;
  /** A command stage's commands that have finished, in order: never run again on resume. */
  steps?: StepResult[];
}

export interface StepResult {
  argv_digest: string;
  exit_code: number | null;
  signal: string | null;
  duration_ms: number;
  timed_out: boolean;
  artifact: string;
}

export interface RunRecord {
  run_id: string;
  pipeline: PipelineDef;
  objective: string;
  status: RunStatus;
  reason: string | null;
  started_by: string;
  created_at: number;
  updated_at: number;
  /** One per checkpoint; the ledger row of each transition carries it. */
  seq: number;
  stages: Record<string, StageRecord>;
  /** Stage → agent id, for stages an outside agent runs with stage_run. */
  assign: Record<string, string>;
  runner: RunnerInfo | null;
}

export interface RunnerInfo {
  holder: string;
  lease_id: string;
  host: string;
  pid: number;
}

import type { StageOutcome, StageTask } from "../../protocol/pipeline.js";

export type { StageOutcome, StageTask };

/** Does the work of one agent stage. The default (the bundled stage agent) lives in agents/. */
export type StageExecutor = (task: StageTask) => Promise<StageOutcome>;

export type PipelineEvent =
  | {
      type: "stage";
      run_id: string;
      stage: string;
      kind: StageDef["kind"];
      from: StageStatus;
      to: StageStatus;
      reason: string | null;
      attempt: number;
    }
  | { type: "run"; run_id: string; status: RunStatus; reason: string | null }
  | { type: "retry"; run_id: string; stage: string; attempt: number; delay_ms: number };
