// Proposals and votes (the seed's consensus mechanism). A proposal is accepted when every required
// agent has voted, accepts outnumber rejects, and no required agent rejected. Proposals live in the
// blackboard's solutions section and votes in its consensus section, written with version checks
// so concurrent voters never lose a vote.
import type { Caller } from "../authority/index.js";
import type { Ledger } from "../ledger/index.js";
import type { BlackboardEntry, StateStore } from "../state/index.js";
import { updateEntry } from "../state/update.js";
import type { Clock, Ids } from "../util/clock.js";
import { AgovError } from "../util/errors.js";

export const VOTES = ["ACCEPT", "REJECT", "ABSTAIN"] as const;
export type VoteValue = (typeof VOTES)[number];

export interface Proposal {
  id: string;
  task_id: string;
  title: string;
  content: unknown;
  author: string;
  required_voters: string[];
  created_at: number;
}

export interface Vote {
  agent: string;
  vote: VoteValue;
  reasoning: string;
  timestamp: string;
}

export type ConsensusState = "pending" | "accepted" | "rejected";

export interface Tally {
  status: ConsensusState;
  accept: number;
  reject: number;
  abstain: number;
  missing: string[];
  reason: string;
}

/** The seed's three rules, as a pure function. */
export function evaluateConsensus(required: readonly string[], votes: readonly Vote[]): Tally {
  const count = (v: VoteValue) => votes.filter((x) => x.vote === v).length;
  const accept = count("ACCEPT");
  const reject = count("REJECT");
  const abstain = count("ABSTAIN");
  const voted = new Set(votes.map((v) => v.agent));
  const missing = required.filter((a) => !voted.has(a));
  const base = { accept, reject, abstain, missing };
  if (missing.length > 0)
    return { ...base, status: "pending", reason: `waiting for ${missing.join(", ")} to vote` };
  const requiredRejects = votes.filter((v) => v.vote === "REJECT" && required.includes(v.agent));
  if (requiredRejects.length > 0)
    return {
      ...base,
      status: "rejected",
      reason: `rejected by required agent(s) ${requiredRejects.map((v) => v.agent).join(", ")}`,
    };
  if (accept <= reject)
    return {
      ...base,
      status: "rejected",
      reason: `${accept} accept(s) do not exceed ${reject} reject(s)`,
    };
  return {
    ...base,
    status: "accepted",
    reason: `all required agents voted; ${accept} accept, ${reject} reject`,
  };
}

export function createConsensus(deps: {
  state: StateStore;
  ledger: Ledger;
  clock: Clock;
  ids: Ids;
}) {
  const { state, ledger, clock, ids } = deps;
  const proposalKey = (id: string) => `proposal:${id}`;
  const votesKey = (id: string) => `votes:${id}`;

  async function find(taskId: string, key: string, section: "solutions" | "consensus") {
    return (await state.blackboard.read(taskId, section)).find((e) => e.key === key);
  }

  async function proposal(taskId: string, id: string): Promise<Proposal> {
    const entry = await find(taskId, proposalKey(id), "solutions");
    if (!entry)
      throw new AgovError("NOT_FOUND", `proposal_id: no proposal ${id} on task ${taskId}`);
    return entry.value as Proposal;
  }

  function status(p: Proposal, votesEntry: BlackboardEntry | undefined) {
    const votes = Object.values((votesEntry?.value as Record<string, Vote>) ?? {});
    return {
      id: p.id,
      title: p.title,
      author: p.author,
      required_voters: p.required_voters,
      created_at: p.created_at,
      votes,
      ...evaluateConsensus(p.required_voters, votes),
    };
  }

  return {
    async create(
      caller: Caller,
      input: { task_id: string; title: string; content: unknown; required_voters: string[] },
    ) {
      const p: Proposal = {
        id: ids.next().slice(0, 8),
        task_id: input.task_id,
        title: input.title,
        content: input.content,
        author: caller.agent_id,
        required_voters: [...new Set(input.required_voters)],
        created_at: clock.now(),
      };
      await state.blackboard.post({
        task_id: p.task_id,
        section: "solutions",
        key: proposalKey(p.id),
        value: p,
        author: caller.agent_id,
        expected_version: 0,
      });
      return { ...p, status: "pending" as const };
    },

    async vote(
      caller: Caller,
      input: { task_id: string; proposal_id: string; vote: VoteValue; reasoning: string },
    ) {
      const p = await proposal(input.task_id, input.proposal_id);
      const written = await updateEntry<Record<string, Vote>>(
        state,
        { task_id: p.task_id, section: "consensus", key: votesKey(p.id), author: caller.agent_id },
        (votes = {}) => {
          const before = evaluateConsensus(p.required_voters, Object.values(votes));
          if (before.status !== "pending")
            throw new AgovError(
              "CONFLICT",
              `proposal ${p.id} is already ${before.status}: ${before.reason}`,
            );
          return {
            ...votes,
            [caller.agent_id]: {
              agent: caller.agent_id,
              vote: input.vote,
              reasoning: input.reasoning,
              timestamp: new Date(clock.now()).toISOString(),
            },
          };
        },
      );
      const after = status(p, written);
      if (after.status !== "pending") await settle(caller, p, after);
      return { proposal_id: p.id, recorded: input.vote, ...after };
    },

    async status(input: { task_id: string; proposal_id?: string | undefined }) {
      const entries = await state.blackboard.read(input.task_id);
      const votesOf = (id: string) =>
        entries.find((e) => e.section === "consensus" && e.key === votesKey(id));
      const proposals = entries
        .filter((e) => e.section === "solutions" && e.key.startsWith("proposal:"))
        .map((e) => e.value as Proposal)
        .filter((p) => !input.proposal_id || p.id === input.proposal_id);
      if (input.proposal_id && proposals.length === 0)
        throw new AgovError(
          "NOT_FOUND",
          `proposal_id: no proposal ${input.proposal_id} on task ${input.task_id}`,
        );
      return {
        task_id: input.task_id,
        proposals: proposals
          .sort((a, b) => a.created_at - b.created_at)
          .map((p) => status(p, votesOf(p.id))),
      };
    },
  };

  async function settle(caller: Caller, p: Proposal, t: Tally): Promise<void> {
    const result = {
      proposal_id: p.id,
      title: p.title,
      status: t.status,
      reason: t.reason,
      decided_at: clock.now(),
    };
    await state.blackboard
      .post({
        task_id: p.task_id,
        section: "consensus",
        key: `result:${p.id}`,
        value: result,
        author: caller.agent_id,
        expected_version: 0,
      })
      .catch(() => {});
    if (t.status === "accepted")
      await updateEntry(
        state,
        { task_id: p.task_id, section: "consensus", key: "final", author: caller.agent_id },
        () => ({ ...result, proposal: p }),
      ).catch(() => {});
    await ledger.record(
      {
        kind: "consensus",
        agent_id: caller.agent_id,
        tier: caller.tier,
        action: `consensus ${t.status}: proposal ${p.id} (${p.title}): ${t.reason}`,
        decision: "allow",
        tool: "vote_cast",
      },
      { success: true },
    );
  }
}

export type Consensus = ReturnType<typeof createConsensus>;
