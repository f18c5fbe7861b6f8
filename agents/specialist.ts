// A specialist beside ALPHA and BETA (Terraform, Ansible, code review, from agov's templates): it
// works under its template's packet and tier, reviews the first proposal from its own angle (the
// review goes where GAMMA reads critiques), and records each deliverable its packet names.
import { type AgentEnv, createAgentKit } from "./agent.js";
import { Critique, Plan, Proposal } from "./schemas.js";

/** A specialist a run adds: the template gives its packet and its tier. */
export interface SpecialistSpec {
  /** Its agent id (fresh per run). */
  id: string;
  /** Short name, as given to --agents: terraform, ansible, code-review. */
  name: string;
  template: {
    title: string;
    tier: number;
    packet(args: { agent_id: string; task_id: string; objective: string }): Record<string, unknown>;
  };
}

export interface SpecialistOutcome {
  artifacts: string[];
  reviewed: string | null;
}

export async function runSpecialist(
  env: AgentEnv,
  spec: SpecialistSpec,
): Promise<SpecialistOutcome> {
  const kit = createAgentKit(env);
  const outcome: SpecialistOutcome = { artifacts: [], reviewed: null };
  const record = async (name: string, kind: string, content: unknown) => {
    await kit.artifact(name, kind, content);
    outcome.artifacts.push(name);
  };
  await kit.phase("BOOTSTRAP", `specialist: ${spec.template.title}`);
  await kit.phase("PREFLIGHT");
  const packet = await env.client.must("packet_get");
  const handoff = await env.client.must("handoff_read", { task_id: env.taskId });
  const deliverables = (packet.deliverables as string[] | undefined) ?? [];
  const about = { specialist: spec.template.title, deliverables, constraints: packet.constraints };
  await kit.phase("PLAN");
  const plan = await kit.think(
    "plan",
    { ...about, ...(handoff.found ? { handoff: handoff.handoff } : {}) },
    Plan,
  );
  await record("plan", "plan", plan);
  await kit.phase("EXECUTE");
  // The first proposal the peers put up, reviewed from the specialist's angle.
  const proposal = await kit.waitFor(async () => {
    const board = await env.client.must("blackboard_read", {
      task_id: env.taskId,
      section: "solutions",
    });
    for (const e of board.entries as Array<{ key: string; value: { content?: unknown } }>) {
      if (!e.key.startsWith("proposal:")) continue;
      const p = Proposal.safeParse(e.value.content);
      if (p.success) return { id: e.key.slice("proposal:".length), proposal: p.data };
    }
    return null;
  });
  if (proposal) {
    const review = await kit.think("critique", { ...about, proposal: proposal.proposal }, Critique);
    outcome.reviewed = proposal.proposal.title;
    // Where the mediator reads critiques; a T0 specialist cannot post, and keeps it as an artifact.
    if (spec.template.tier >= 1)
      await kit.post("progress", `eval-${spec.name}`, {
        proposal_id: proposal.id,
        critique: review,
        by: env.agentId,
      });
    await record(`${spec.name}-review`, "evidence", review);
  }
  for (const name of deliverables) {
    const work = await kit.think(
      "proposal",
      { ...about, deliverable: name, plan, ...(proposal ? { reviewing: proposal.proposal } : {}) },
      Proposal,
    );
    await record(name, "deliverable", { deliverable: name, ...work, steps: plan.steps });
  }
  await kit.phase("VERIFY");
  await kit.phase("PACKAGE");
  await record(`${spec.name}-report`, "report", {
    plan: plan.summary,
    reviewed: outcome.reviewed,
    deliverables,
  });
  await kit.phase("REPORT");
  await kit.phase("EXIT");
  return outcome;
}
