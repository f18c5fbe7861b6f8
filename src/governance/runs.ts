// An agent's current run (agent:{id}:state): its task, phase and step, what it has tried, and the
// lease of its execution lock. The task's progress roster mirrors it for the spawn monitor.
import { z } from "zod";
import type { StateStore } from "../state/index.js";
import { AgovError } from "../util/errors.js";
import { PHASES, type Phase } from "./lifecycle.js";

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

/** A stored run is checked on read: foreign or damaged data is an error, never a silent cast. */
const RUN = z.object({
  run_id: z.string(),
  task_id: z.string(),
  phase: z.enum(PHASES),
  step: z.string(),
  started_at: z.number(),
  updated_at: z.number(),
  exec_lease: z.object({ resource: z.string(), lease_id: z.string() }).nullable(),
  revoked: z.boolean(),
  revocation_done: z.boolean().optional(),
  packet_at: z.string().optional(),
  continues_from: z.array(z.string()).optional(),
}) satisfies z.ZodType<AgentRun>;

export async function getRun(state: StateStore, agentId: string): Promise<AgentRun | null> {
  const raw = await state.agents.getState(agentId);
  if (!raw || raw.run_id === undefined) return null;
  const run = RUN.safeParse(raw);
  if (run.success) return run.data;
  throw new AgovError(
    "INTERNAL",
    `stored run of ${agentId} is not in the shape agov writes (${run.error.issues[0]?.message}); the state store holds foreign or damaged data`,
  );
}

export async function putRun(state: StateStore, agentId: string, run: AgentRun): Promise<void> {
  await state.agents.setState(agentId, { ...run });
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

/** Updates this agent's line on the task's progress roster (its own line: no writer is lost). */
export async function updateRoster(
  state: StateStore,
  taskId: string,
  agentId: string,
  entry: RosterEntry,
): Promise<void> {
  await state.roster.set(taskId, agentId, entry);
}
