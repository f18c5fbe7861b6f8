// GAMMA, the mediator: spawned by the orchestrator when a spawn condition fires. It reads every
// proposal and critique, synthesises one proposal that resolves the conflicts, puts it to a vote
// of the peers still at work and broadcasts a HANDOFF to ALL.
import { type AgentEnv, createAgentKit } from "./agent.js";
import { Critique, Plan, Proposal, Synthesis } from "./schemas.js";

export interface GammaSetup {
  reason: string;
  /** Peers still able to vote (not finished, revoked or stuck). */
  voters: string[];
}

export interface GammaOutcome {
  synthesis: Synthesis | null;
  proposal_id: string | null;
}

export async function runGamma(env: AgentEnv, setup: GammaSetup): Promise<GammaOutcome> {
  const kit = createAgentKit(env);
  await kit.phase("BOOTSTRAP", `spawned on ${setup.reason}`);
  await kit.phase("PREFLIGHT");
  await env.client.must("packet_get");
  const handoff = await env.client.must("handoff_read", { task_id: env.taskId });
  await kit.phase("PLAN");
  const plan = await kit.think(
    "plan",
    { reason: setup.reason, ...(handoff.found ? { handoff: handoff.handoff } : {}) },
    Plan,
  );
  await kit.artifact(`${env.role.toLowerCase()}-plan`, "plan", plan);
  await kit.phase("EXECUTE");

  const board = await env.client.must("blackboard_read", { task_id: env.taskId });
  const entries = board.entries;
  const proposals = entries
    .filter((e) => e.section === "solutions" && e.key.startsWith("proposal:"))
    .map((e) => Proposal.safeParse(e.value.content))
    .flatMap((r) => (r.success ? [r.data] : []));
  const critiques = entries
    .filter((e) => e.section === "progress" && e.key.startsWith("eval-"))
    .map((e) => Critique.safeParse(e.value.critique))
    .flatMap((r) => (r.success ? [r.data] : []));

  const outcome: GammaOutcome = { synthesis: null, proposal_id: null };
  const status = await env.client.must("consensus_status", { task_id: env.taskId });
  const won = status.proposals.find((p) => p.status === "accepted");
  if (won) {
    // The peers agreed: the mediator validates the accepted proposal instead of replacing it.
    outcome.proposal_id = won.id;
    await kit.post("progress", "gamma_res", {
      validated: won.title,
      proposal_id: won.id,
      reason: setup.reason,
    });
    await kit.send("ALL", "HANDOFF", { validated: won.id, title: won.title, reason: setup.reason });
    await kit.artifact("gamma-synthesis", "deliverable", { validated: won.title });
  } else if (proposals.length > 0 && setup.voters.length === 0) {
    // Nobody is left to vote: a mediator accepting its own synthesis would be no consensus at all.
    const synthesis = await kit.think(
      "synthesis",
      { proposals, critiques, reason: setup.reason },
      Synthesis,
    );
    outcome.synthesis = synthesis;
    await kit.post("progress", "gamma_res", {
      recommendation: synthesis.title,
      note: "no peer left to vote: recorded as a recommendation, not a consensus",
    });
    await kit.artifact("gamma-synthesis", "deliverable", synthesis);
  } else if (proposals.length > 0) {
    const synthesis = await kit.think(
      "synthesis",
      { proposals, critiques, reason: setup.reason },
      Synthesis,
    );
    outcome.synthesis = synthesis;
    const created = await env.client.must("proposal_create", {
      task_id: env.taskId,
      title: synthesis.title,
      content: synthesis,
      required_voters: [env.agentId, ...setup.voters],
    });
    const id = String(created.id);
    outcome.proposal_id = id;
    env.progress({ type: "proposal", agent: env.agentId, id, title: synthesis.title });
    const mine = await env.client.call("vote_cast", {
      task_id: env.taskId,
      proposal_id: id,
      vote: "ACCEPT",
      reasoning: synthesis.rationale.slice(0, 2000),
    });
    env.progress({
      type: "vote",
      agent: env.agentId,
      vote: "ACCEPT",
      title: synthesis.title,
      ...(mine.ok ? { status: mine.data.status } : {}),
    });
    await kit.send("ALL", "HANDOFF", {
      proposal_id: id,
      title: synthesis.title,
      synthesis,
      reason: setup.reason,
    });
    await kit.post("progress", "gamma_res", {
      proposal_id: id,
      title: synthesis.title,
      resolved: synthesis.resolved_conflicts,
    });
    // Wait for the peers' votes, so the decision is known before the mediator reports.
    await kit.waitFor(async () => {
      const s = await env.client.must("consensus_status", { task_id: env.taskId, proposal_id: id });
      const st = s.proposals[0]?.status;
      return st && st !== "pending" ? st : null;
    });
    await kit.artifact("gamma-synthesis", "deliverable", synthesis);
  } else {
    await kit.post("progress", "gamma_res", { note: "no proposals to synthesise" });
    await kit.artifact("gamma-synthesis", "deliverable", { note: "no proposals were made" });
  }
  await kit.phase("VERIFY");
  await kit.phase("PACKAGE");
  await kit.phase("REPORT");
  await kit.phase("EXIT");
  return outcome;
}
