// Proposals and votes (the seed's consensus mechanism). A proposal is accepted when every required
// agent has voted, accepts outnumber rejects, and no required agent rejected. Only the required
// voters' votes are counted unless the proposal opts in to counting every vote: anyone with
// vote_cast may vote, so outsiders' votes are recorded and shown as uncounted, never decisive.
// Proposals live in the blackboard's solutions section and votes in its consensus section,
// written with version checks so concurrent voters never lose a vote.
import type { Caller } from "../authority/index.js";
import type { Ledger } from "../ledger/index.js";
import type { BlackboardEntry, StateStore } from "../state/index.js";
import { updateEntry } from "../state/update.js";
import type { Clock, Ids } from "../util/clock.js";
import { AgovError } from "../util/errors.js";
import type { Notice } from "../util/notice.js";

export const VOTES = ["ACCEPT", "REJECT", "ABSTAIN"] as const;
export type VoteValue = (typeof VOTES)[number];

export interface Proposal {
  id: string;
  task_id: string;
  title: string;
  content: unknown;
  author: string;
  required_voters: string[];
  /** Count votes from agents outside required_voters too (absent on older proposals: false). */
  count_all_votes?: boolean;
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
  /** Agents whose votes are recorded but not counted (they are not required voters). */
  uncounted: string[];
  reason: string;
}

/**
 * The seed's three rules, as a pure function, over each agent's latest vote. Agent ids are
 * callers' strings (`constructor` is a valid one), so they are only ever Map and Set keys here.
 */
export function evaluateConsensus(
  required: readonly string[],
  votes: readonly Vote[],
  opts: { countAll?: boolean } = {},
): Tally {
  const latest = new Map<string, Vote>();
  for (const v of votes) latest.set(v.agent, v);
  const requiredSet = new Set(required);
  const counted = [...latest.values()].filter((v) => opts.countAll || requiredSet.has(v.agent));
  const uncounted = [...latest.keys()].filter((a) => !opts.countAll && !requiredSet.has(a));
  const count = (v: VoteValue) => counted.filter((x) => x.vote === v).length;
  const accept = count("ACCEPT");
  const reject = count("REJECT");
  const abstain = count("ABSTAIN");
  const missing = [...requiredSet].filter((a) => !latest.has(a));
  const base = { accept, reject, abstain, missing, uncounted };
  if (missing.length > 0)
    return { ...base, status: "pending", reason: `waiting for ${missing.join(", ")} to vote` };
  const requiredRejects = counted.filter((v) => v.vote === "REJECT" && requiredSet.has(v.agent));
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

/** The votes of a proposal as stored (one per agent), in the order they were first cast. */
function votesOf(value: unknown): Vote[] {
  return value && typeof value === "object" ? Object.values(value as Record<string, Vote>) : [];
}

const tallyOf = (p: Proposal, votes: readonly Vote[]) =>
  evaluateConsensus(p.required_voters, votes, { countAll: p.count_all_votes === true });

export function createConsensus(deps: {
  state: StateStore;
  ledger: Ledger;
  clock: Clock;
  ids: Ids;
  /** Told of every decided proposal (Slack and the like). */
  notify?: (n: Notice) => void;
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
    const votes = votesOf(votesEntry?.value);
    return {
      id: p.id,
      title: p.title,
      author: p.author,
      required_voters: p.required_voters,
      count_all_votes: p.count_all_votes === true,
      created_at: p.created_at,
      votes,
      ...tallyOf(p, votes),
    };
  }

  return {
    async create(
      caller: Caller,
      input: {
        task_id: string;
        title: string;
        content: unknown;
        required_voters: string[];
        count_all_votes?: boolean | undefined;
      },
    ) {
      const p: Proposal = {
        id: ids.next().slice(0, 8),
        task_id: input.task_id,
        title: input.title,
        content: input.content,
        author: caller.agent_id,
        required_voters: [...new Set(input.required_voters)],
        count_all_votes: input.count_all_votes === true,
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
      let decided: Tally | undefined;
      let written: BlackboardEntry;
      try {
        written = await updateEntry<Record<string, Vote>>(
          state,
          {
            task_id: p.task_id,
            section: "consensus",
            key: votesKey(p.id),
            author: caller.agent_id,
          },
          (stored) => {
            // Rebuilt through a Map: an agent id is a caller's string, never an object key lookup.
            const votes = new Map(votesOf(stored).map((v) => [v.agent, v] as const));
            const before = tallyOf(p, [...votes.values()]);
            if (before.status !== "pending") {
              decided = before;
              throw new AgovError(
                "CONFLICT",
                `proposal ${p.id} is already ${before.status}: ${before.reason}`,
              );
            }
            votes.set(caller.agent_id, {
              agent: caller.agent_id,
              vote: input.vote,
              reasoning: input.reasoning,
              timestamp: new Date(clock.now()).toISOString(),
            });
            return Object.fromEntries(votes);
          },
        );
      } catch (err) {
        // A decision whose result an outage kept from being saved is saved by the next vote.
        if (decided && !(await resultSaved(p))) await settle(caller, p, decided);
        throw err;
      }
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

  async function resultSaved(p: Proposal): Promise<boolean> {
    const board = await state.blackboard.read(p.task_id, "consensus");
    const result = board.find((e) => e.key === `result:${p.id}`);
    const accepted = (result?.value as { status?: string } | undefined)?.status === "accepted";
    return !!result && (!accepted || board.some((e) => e.key === "final"));
  }

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
      .catch((err: unknown) => {
        // Another voter's call settled it first: the result is saved, once.
        if (!(err instanceof AgovError && err.code === "CONFLICT")) throw err;
      });
    // Not swallowed: a store that fails here fails the vote (UNAVAILABLE, retryable), and the
    // next vote on the proposal saves the missing result.
    if (t.status === "accepted")
      await updateEntry(
        state,
        { task_id: p.task_id, section: "consensus", key: "final", author: caller.agent_id },
        () => ({ ...result, proposal: p }),
      );
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
    deps.notify?.({
      kind: "consensus",
      proposal_id: p.id,
      task_id: p.task_id,
      title: p.title,
      status: t.status,
    });
  }
}

export type Consensus = ReturnType<typeof createConsensus>;
