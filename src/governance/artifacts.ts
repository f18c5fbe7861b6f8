// Artifacts: recorded with their author, and the one rule for which of them count as an agent's
// work (VERIFY's deliverables, a pipeline stage's artifacts): those the agent recorded itself or
// the revoked agents it continues from did — never an outsider's, even under the same name.
import type { Caller } from "../authority/index.js";
import type { StateStore } from "../state/index.js";
import { AgovError } from "../util/errors.js";
import type { GovernanceContext } from "./context.js";
import { type AgentRun, getRun, noteTried } from "./runs.js";

/** Whose artifacts on `taskId` count for the agent: itself, and for its run's task its predecessors. */
export function authorsFor(agentId: string, run: AgentRun | null, taskId: string): string[] {
  return run && run.task_id === taskId ? [agentId, ...(run.continues_from ?? [])] : [agentId];
}

/** The names among `names` recorded on the task by one of `authors` (the latest write counts). */
export async function authoredArtifacts(
  state: StateStore,
  taskId: string,
  names: readonly string[],
  authors: readonly string[],
): Promise<string[]> {
  const listed = new Set(await state.tasks.artifacts(taskId));
  const who = new Set(authors);
  const mine: string[] = [];
  for (const name of names) {
    if (!listed.has(name)) continue;
    const saved = await state.artifacts.get(taskId, name);
    if (saved && who.has(saved.author)) mine.push(name);
  }
  return mine;
}

export function createArtifacts(ctx: GovernanceContext) {
  const { state } = ctx.deps;

  return {
    /** Of `names`, the artifacts on the task that count as the agent's own work. */
    async ownArtifacts(agentId: string, taskId: string, names: readonly string[]) {
      const run = await getRun(state, agentId);
      return authoredArtifacts(state, taskId, names, authorsFor(agentId, run, taskId));
    },

    /**
     * artifact_read: an artifact of the caller's own task, or of an earlier stage of the pipeline
     * run its task belongs to (`<run>/<stage>` tasks); a T3+ caller may read any task's.
     */
    async readArtifact(caller: Caller, input: { name: string; task_id?: string | undefined }) {
      const held = await ctx.governed(caller.agent_id);
      const own = held?.run.task_id ?? (await ctx.packetOf(caller.agent_id))?.task_id;
      const taskId = input.task_id ?? own;
      if (!taskId)
        throw new AgovError("INVALID_INPUT", "task_id: required when you have no task of your own");
      const run = (t: string) => (t.includes("/") ? t.slice(0, t.indexOf("/") + 1) : null);
      const sameRun = own !== undefined && run(own) !== null && run(own) === run(taskId);
      if (caller.tier < 3 && taskId !== own && !sameRun)
        throw new AgovError(
          "DENIED",
          `task_id: ${caller.agent_id} may read the artifacts of its own task${own ? ` (${own})` : ""} and of its pipeline run's stages; ${taskId} is neither (T3 and above read any task's)`,
          { tier: caller.tier },
        );
      const found = await state.artifacts.get(taskId, input.name);
      if (!found)
        throw new AgovError(
          "NOT_FOUND",
          `name: task ${taskId} has no artifact ${input.name} (it has: ${(await state.tasks.artifacts(taskId)).join(", ") || "none"})`,
        );
      return { task_id: taskId, name: input.name, ...found };
    },

    async recordArtifact(
      caller: Caller,
      input: { name: string; kind: string; content: unknown; task_id?: string | undefined },
    ) {
      const held = await ctx.governed(caller.agent_id);
      const own = held?.run.task_id;
      const taskId =
        input.task_id ?? own ?? (await ctx.packetOf(caller.agent_id))?.task_id ?? undefined;
      if (!taskId)
        throw new AgovError("INVALID_INPUT", "task_id: required when you have no run in progress");
      // An agent in a run records artifacts for its own task only.
      if (held && taskId !== own)
        throw new AgovError(
          "DENIED",
          `task_id: ${caller.agent_id} works on task ${own}; it cannot record artifacts for ${taskId}`,
        );
      // Anyone else may not write into a task another agent is working on.
      if (!held) {
        const active = await state.tasks.getActiveAgent(taskId);
        if (active && active !== caller.agent_id)
          throw new AgovError(
            "DENIED",
            `task_id: task ${taskId} belongs to ${active}'s run; artifacts are recorded by the agents working it`,
          );
      }
      const saved = await state.artifacts.put(taskId, input.name, {
        kind: input.kind,
        content: input.content,
        author: caller.agent_id,
      });
      const existing = await state.tasks.artifacts(taskId);
      if (!existing.includes(input.name)) await state.tasks.addArtifact(taskId, input.name);
      if (held && input.kind === "plan") {
        await state.plans.mark(caller.agent_id, held.run.run_id, input.name);
        await noteTried(
          state,
          caller.agent_id,
          `${held.run.phase}: recorded plan artifact ${input.name}`,
        );
      }
      return { task_id: taskId, name: input.name, kind: input.kind, saved_at: saved.saved_at };
    },
  };
}
