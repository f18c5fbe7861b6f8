// What the pipeline engine hands a stage's agent, shared by the engine (src/pipeline) and the
// bundled stage agent (agents/stage-agent.ts) so the two cannot drift. Imports nothing but types
// of its own folder.
import type { Tier } from "./lifecycle.js";

export const STAGE_STATUSES = [
  "pending",
  "running",
  "waiting",
  "succeeded",
  "failed",
  "skipped",
  "approved",
  "rejected",
  "timed_out",
] as const;
export type StageStatus = (typeof STAGE_STATUSES)[number];

/** What a stage's agent is given. The engine has issued its token and written its packet. */
export interface StageTask {
  run_id: string;
  pipeline: string;
  stage: string;
  attempt: number;
  agent_id: string;
  token: string;
  task_id: string;
  role: { name: string; tier: Tier; description: string };
  objective: string;
  artifacts: string[];
  /** The stages this one requires, with their artifacts. */
  inputs: Array<{ stage: string; status: StageStatus; artifacts: string[] }>;
  /** True when an earlier attempt of this stage left a handoff to read. */
  handoff: boolean;
  signal: AbortSignal;
}

export interface StageOutcome {
  ok: boolean;
  summary?: string;
  error?: string;
}
