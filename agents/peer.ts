// ALPHA (research) and BETA (synthesis): each plans, proposes, critiques and votes on the other's
// proposal over two rounds, then waits in VERIFY for the mediator's synthesis if no proposal won.
import { type AgentEnv, createAgentKit, type InboxMessage } from "./agent.js";
import { Analysis, Critique, Plan, Proposal, Synthesis, Vote } from "./schemas.js";

export interface PeerSetup {
  /** The agent holding the other peer's role now (a replacement takes over its predecessor's). */
  peer(): string;
  /** Whether a message's sender holds, or held, the other peer's role. */
  isPeer(agentId: string): boolean;
  rounds: number;
  /** How long to wait in VERIFY for the mediator's synthesis. */
  synthesisWaitMs: number;
}

export interface PeerOutcome {
  proposals: Array<{ id: string; title: string; round: number }>;
  critiques: Critique[];
}

const toVote = { approve: "ACCEPT", reject: "REJECT", abstain: "ABSTAIN" } as const;

export async function runPeer(env: AgentEnv, setup: PeerSetup): Promise<PeerOutcome> {
  const kit = createAgentKit(env);
  const me = env.role.toLowerCase();
  const outcome: PeerOutcome = { proposals: [], critiques: [] };

  await kit.phase("BOOTSTRAP");
  await kit.phase("PREFLIGHT");
  await env.client.must("packet_get");
  const handoff = await env.client.must("handoff_read", { task_id: env.taskId });
  await kit.phase("PLAN");
  const plan = await kit.think("plan", handoff.found ? { handoff: handoff.handoff } : {}, Plan);
  await kit.artifact(`${env.role.toLowerCase()}-plan`, "plan", plan);
  await kit.phase("EXECUTE");

  const postedAnalysis = async () => {
    const r = await env.client.must("blackboard_read", {
      task_id: env.taskId,
      section: "problem",
    });
    const e = r.entries.find((x) => x.key === "analysis");
    const parsed = Analysis.safeParse(e?.value);
    return parsed.success ? parsed.data : null;
  };
  let analysis: Analysis | null = null;
  if (env.role === "ALPHA") {
    // A replacement continues from its predecessor: research already posted is not done again.
    analysis = handoff.found ? await postedAnalysis() : null;
    if (!analysis) {
      analysis = await kit.think("analysis", {}, Analysis);
      await kit.post("problem", "analysis", analysis);
      await kit.post("problem", "complexity", { score: analysis.complexity, by: env.agentId });
    }
    await kit.artifact(`${me}-analysis`, "deliverable", analysis);
  } else {
    // BETA synthesises from ALPHA's research when it arrives in time.
    analysis = await kit.waitFor(postedAnalysis);
  }

  let feedback: Critique[] = [];
  let lastProposal: Proposal | null = null;
  for (let round = 1; round <= setup.rounds; round++) {
    const proposal: Proposal = await kit.think(
      "proposal",
      { ...(analysis ? { analysis } : {}), round, feedback, previous: lastProposal },
      Proposal,
    );
    lastProposal = proposal;
    const created = await env.client.must("proposal_create", {
      task_id: env.taskId,
      title: proposal.title,
      content: proposal,
      required_voters: [env.agentId, setup.peer()],
    });
    const id = String(created.id);
    outcome.proposals.push({ id, title: proposal.title, round });
    env.progress({ type: "proposal", agent: env.agentId, id, title: proposal.title });
    await vote(id, proposal.title, "ACCEPT", "my own proposal");
    await kit.send(setup.peer(), "PROPOSAL", { proposal_id: id, title: proposal.title, round });

    const theirs = await kit.nextMessage((m) => m.type === "PROPOSAL" && setup.isPeer(m.from));
    if (theirs) await review(theirs, round);
    const fb = await kit.nextMessage(
      (m) => m.type === "FEEDBACK" && setup.isPeer(m.from) && m.body.proposal_id === id,
    );
    feedback = fb ? [fb.body.critique as Critique] : [];
    if (await accepted()) break;
  }
  await kit.artifact(`${me}-proposal`, "deliverable", lastProposal);
  await kit.artifact(
    `${me}-critique`,
    "deliverable",
    outcome.critiques.length
      ? outcome.critiques
      : { note: `no proposal from ${setup.peer()} arrived to critique` },
  );

  await kit.phase("VERIFY");
  if (!(await accepted())) {
    const handoffMsg = await kit.nextMessage(
      (m) => m.type === "HANDOFF" && typeof m.body.proposal_id === "string",
      setup.synthesisWaitMs,
    );
    if (handoffMsg) {
      const id = String(handoffMsg.body.proposal_id);
      const synthesis = Synthesis.safeParse(handoffMsg.body.synthesis);
      const judged = await kit.think(
        "vote",
        { proposal: synthesis.success ? synthesis.data : handoffMsg.body, synthesis: true },
        Vote,
      );
      await vote(id, String(handoffMsg.body.title ?? id), toVote[judged.vote], judged.reason);
    }
  }
  await kit.phase("PACKAGE");
  await kit.artifact(`${me}-report`, "report", {
    plan: plan.summary,
    proposals: outcome.proposals,
  });
  await kit.phase("REPORT");
  await kit.post("progress", `${me}-report`, {
    proposals: outcome.proposals.map((p) => p.title),
    critiques: outcome.critiques.length,
  });
  await kit.phase("EXIT");
  return outcome;

  async function review(msg: InboxMessage, round: number) {
    const id = String(msg.body.proposal_id);
    const status = await env.client.must("consensus_status", {
      task_id: env.taskId,
      proposal_id: id,
    });
    const p = status.proposals[0];
    const board = await env.client.must("blackboard_read", {
      task_id: env.taskId,
      section: "solutions",
    });
    const entry = board.entries.find((e) => e.key === `proposal:${id}`);
    const theirs = Proposal.safeParse(entry?.value.content);
    if (!theirs.success) return;
    const critique = await kit.think("critique", { proposal: theirs.data, round }, Critique);
    outcome.critiques.push(critique);
    await kit.post("progress", `eval-${me}-r${round}`, { proposal_id: id, critique });
    await kit.send(msg.from, "FEEDBACK", { proposal_id: id, title: p?.title ?? "", critique });
    const judged = await kit.think("vote", { proposal: theirs.data }, Vote);
    await vote(id, theirs.data.title, toVote[judged.vote], judged.reason);
  }

  async function vote(
    id: string,
    title: string,
    v: "ACCEPT" | "REJECT" | "ABSTAIN",
    reasoning: string,
  ) {
    const r = await env.client.call("vote_cast", {
      task_id: env.taskId,
      proposal_id: id,
      vote: v,
      reasoning: reasoning.slice(0, 2000),
    });
    env.progress({
      type: "vote",
      agent: env.agentId,
      vote: v,
      title,
      ...(r.ok ? { status: r.data.status } : {}),
    });
  }

  async function accepted(): Promise<boolean> {
    const r = await env.client.must("consensus_status", { task_id: env.taskId });
    return r.proposals.some((p) => p.status === "accepted");
  }
}
