// A run as people and agents read it (pipeline_status, `agov pipeline status`): every stage with
// its status, attempts, agents, artifacts and the reason for its last transition.
import type { RunRecord } from "./types.js";

const iso = (t: number | null) => (t === null ? null : new Date(t).toISOString());

export function runSummary(r: RunRecord) {
  return {
    run_id: r.run_id,
    pipeline: r.pipeline.name,
    status: r.status,
    reason: r.reason,
    objective: r.objective,
    started_by: r.started_by,
    created_at: iso(r.created_at),
    updated_at: iso(r.updated_at),
    checkpoints: r.seq,
    stages: r.pipeline.stages.map((def) => {
      const s = r.stages[def.name]!;
      return {
        name: def.name,
        kind: def.kind,
        ...(def.kind === "agent" ? { role: def.role, tier: def.tier } : {}),
        ...(def.kind === "command" || def.kind === "github" ? { tier: def.tier } : {}),
        status: s.status,
        attempts: s.attempts,
        agents: s.agents,
        artifacts: s.artifacts,
        task_id: s.task_id,
        reason: s.reason,
        deadline: iso(s.deadline),
        ...(s.assignee ? { assignee: s.assignee } : {}),
        ...(s.decided_by ? { decided_by: s.decided_by } : {}),
      };
    }),
  };
}

export type RunSummaryView = ReturnType<typeof runSummary>;
