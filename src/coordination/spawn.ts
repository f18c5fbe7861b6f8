// Spawn signals for the orchestrator (the seed's conditional spawning of the mediator): STUCK,
// CONFLICT, COMPLEXITY and SUCCESS, computed from the task's progress roster, heartbeats,
// proposals and votes. Time comes from the injected clock.
import type { RosterLine, StateStore } from "../state/index.js";
import type { Clock } from "../util/clock.js";
import type { Consensus } from "./consensus.js";

export const SPAWN_DEFAULTS = { stuck_ms: 30_000, conflicts: 3, complexity: 0.8 } as const;
export type SpawnThresholds = { stuck_ms: number; conflicts: number; complexity: number };

export interface Condition {
  condition: "STUCK" | "CONFLICT" | "COMPLEXITY" | "SUCCESS";
  fired: boolean;
  value: number;
  threshold: number;
  detail: string;
  /** STUCK: the silent agents. */
  agents?: string[];
  /**
   * STUCK: in how many ms the next active agent goes silent for stuck_ms unless it beats (null
   * when no agent is working): a watcher looks again then instead of polling.
   */
  stale_in_ms?: number | null;
}

const FINISHED = new Set(["REPORT", "EXIT", "REVOKED"]);

export async function spawnConditions(
  deps: { state: StateStore; clock: Clock; consensus: Consensus },
  taskId: string,
  overrides: Partial<SpawnThresholds> = {},
): Promise<{
  task_id: string;
  conditions: Condition[];
  spawn: Condition["condition"] | null;
  /** Every agent's phase, step and time of its last transition on the task. */
  roster: Record<string, RosterLine>;
}> {
  const t = { ...SPAWN_DEFAULTS, ...overrides };
  const { state, clock } = deps;
  const now = clock.now();
  const roster = await state.roster.read(taskId);
  const active = Object.entries(roster).filter(([, r]) => !FINISHED.has(r.phase));

  const stuck: string[] = [];
  const stuckAgents: string[] = [];
  let staleIn: number | null = null;
  for (const [agent, line] of active) {
    const beat = await state.agents.lastHeartbeat(agent);
    const last = Math.max(beat ?? 0, line.at);
    if (now - last < t.stuck_ms) {
      const left = last + t.stuck_ms - now;
      staleIn = staleIn === null ? left : Math.min(staleIn, left);
      continue;
    }
    stuckAgents.push(agent);
    stuck.push(`${agent} (silent ${Math.round((now - last) / 1000)} s)`);
  }

  const { proposals } = await deps.consensus.status({ task_id: taskId });
  const conflicting = proposals.filter((p) => p.status !== "accepted" && p.reject > 0);

  const complexityEntry = (await state.blackboard.read(taskId, "problem")).find(
    (e) => e.section === "problem" && e.key === "complexity",
  );
  const score = Number((complexityEntry?.value as { score?: unknown })?.score ?? 0) || 0;

  const names = Object.keys(roster);
  // SUCCESS needs someone to have finished the work: a task whose agents were all revoked is not
  // a success to validate.
  const done =
    names.length > 0 &&
    names.every((a) => FINISHED.has(roster[a]!.phase)) &&
    names.some((a) => roster[a]!.phase !== "REVOKED");
  const accepted = proposals.some((p) => p.status === "accepted");

  const conditions: Condition[] = [
    {
      condition: "STUCK",
      fired: stuck.length > 0,
      agents: stuckAgents,
      stale_in_ms: staleIn,
      value: stuck.length,
      threshold: t.stuck_ms,
      detail: stuck.length
        ? `no heartbeat for ${t.stuck_ms} ms: ${stuck.join(", ")}`
        : "every active agent is alive",
    },
    {
      condition: "CONFLICT",
      fired: conflicting.length >= t.conflicts,
      value: conflicting.length,
      threshold: t.conflicts,
      detail: `${conflicting.length} unresolved proposal(s) with a REJECT: ${conflicting.map((p) => p.title).join("; ") || "none"}`,
    },
    {
      condition: "COMPLEXITY",
      fired: score > t.complexity,
      value: score,
      threshold: t.complexity,
      detail: complexityEntry
        ? `task complexity ${score} (problem/complexity)`
        : "no complexity posted (problem/complexity)",
    },
    {
      condition: "SUCCESS",
      fired: done,
      value: done ? 1 : 0,
      threshold: 1,
      detail: done
        ? `every agent on the task has finished${accepted ? "; a proposal was accepted: validate it" : "; no proposal accepted yet"}`
        : `${active.length} agent(s) still working`,
    },
  ];
  return {
    task_id: taskId,
    conditions,
    spawn: conditions.find((c) => c.fired)?.condition ?? null,
    roster,
  };
}
