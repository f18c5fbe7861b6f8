// Artifacts, recorded with their author: an agent in a run writes into its own task only, and
// anyone else not into a task another agent's run is working on.
import type { Caller } from "../authority/index.js";
import { AgovError } from "../util/errors.js";
import type { GovernanceContext } from "./context.js";
import { noteTried, planMark } from "./runs.js";

export function createArtifacts(ctx: GovernanceContext) {
  const { state } = ctx.deps;

  return {
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
      const saved = await state.checkpoints.save(`artifact:${taskId}`, input.name, {
        kind: input.kind,
        content: input.content,
        author: caller.agent_id,
      });
      const existing = await state.tasks.artifacts(taskId);
      if (!existing.includes(input.name)) await state.tasks.addArtifact(taskId, input.name);
      if (held && input.kind === "plan") {
        await state.checkpoints.save(planMark(caller.agent_id), held.run.run_id, {
          name: input.name,
        });
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
