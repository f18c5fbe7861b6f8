// An agent's current run (agent:{id}:state): its task, phase and step, what it has tried, and the
// lease of its execution lock. The progress board (blackboard progress/agents) mirrors it per task
// for other agents and for the spawn monitor.
import type { StateStore } from "../state/index.js";
import { updateEntry } from "../state/update.js";
import type { Phase } from "./lifecycle.js";

export interface AgentRun {
  run_id: string;
  task_id: string;
  phase: Phase;
  step: string;
  started_at: number;
  updated_at: number;
  exec_lease: { resource: string; lease_id: string } | null;
  revoked: boolean;
  /** Set once every step of the run's revocation has been applied. */
  revocation_done?: boolean;
  /** created_at of the packet this run works: a packet is good for one run. */
  packet_at?: string;
  /**
   * The revoked agents this run continues from (the task's handoff at BOOTSTRAP, and the agents
   * that one continued from): their artifacts on the task count as this run's own.
   */
  continues_from?: string[];
}

export interface RosterEntry {
  phase: Phase | "REVOKED";
  step: string;
  at: number;
}

const TRIED_MAX = 30;

export async function getRun(state: StateStore, agentId: string): Promise<AgentRun | null> {
  const raw = await state.agents.getState(agentId);
  return raw && typeof raw.run_id === "string" ? (raw as unknown as AgentRun) : null;
}

export async function putRun(state: StateStore, agentId: string, run: AgentRun): Promise<void> {
  await state.agents.setState(agentId, run as unknown as Record<string, unknown>);
}

/**
 * Notes what the agent tried (the handoff's "what was tried"). An append to its own list, never a
 * rewrite of the run record, so concurrent calls of one agent cannot roll its phase back.
 */
export async function noteTried(state: StateStore, agentId: string, what: string): Promise<void> {
  await state.agents.note(agentId, what, TRIED_MAX);
}

/**
 * The run an agent is held to: started (BOOTSTRAP) on its current packet and not yet ended by
 * EXIT or revocation. Before that, and after, a packet binds nothing: the agent is bound by its
 * tier alone, so a packet given to an existing caller cannot make its next call a violation.
 */
export function heldRun(run: AgentRun | null, packet: { created_at: string } | null) {
  return run &&
    packet &&
    run.packet_at === packet.created_at &&
    !run.revoked &&
    run.phase !== "EXIT"
    ? run
    : null;
}

/** Where a run's plan artifact is marked (a plan is needed before EXECUTE). */
export const planMark = (agentId: string) => `plan:${agentId}`;

/** Updates this agent's line on the task's progress board, retrying on concurrent writers. */
export async function updateRoster(
  state: StateStore,
  taskId: string,
  agentId: string,
  entry: RosterEntry,
): Promise<void> {
  await updateEntry<Record<string, RosterEntry>>(
    state,
    { task_id: taskId, section: "progress", key: "agents", author: agentId },
    (roster) => ({ ...roster, [agentId]: entry }),
  );
}

export async function readRoster(
  state: StateStore,
  taskId: string,
): Promise<Record<string, RosterEntry>> {
  const entry = (await state.blackboard.read(taskId, "progress")).find((e) => e.key === "agents");
  return (entry?.value as Record<string, RosterEntry>) ?? {};
}
