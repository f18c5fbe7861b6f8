// Who writes the review's suggestions and casts the council's votes: the runner's model when one
// is configured (an LLM through agents/llm.ts), else the offline rules of src/review/advice.ts,
// which say they are placeholders. A model that fails for a finding falls back to the rules for
// it, and the suggestion's note says so.
import type { Model } from "../../agents/model.js";
import { Proposal, Vote } from "../../agents/schemas.js";
import {
  type Ballot,
  type CouncilMember,
  LENSES,
  offlineBallot,
  offlineSuggestion,
  type Suggestion,
} from "../review/advice.js";
import type { Change } from "../review/findings.js";
import type { Finding } from "../state/index.js";

export interface ReviewAdvisor {
  readonly name: string;
  suggest(f: Finding, change: Change, signal?: AbortSignal): Promise<Suggestion>;
  ballot(member: CouncilMember, s: Suggestion, signal?: AbortSignal): Promise<Ballot>;
}

const VOTES = { approve: "ACCEPT", reject: "REJECT", abstain: "ABSTAIN" } as const;

export function reviewAdvisor(model: Model): ReviewAdvisor {
  if (model.name === "offline")
    return {
      name: "offline",
      suggest: async (f, change) => offlineSuggestion(f, change),
      ballot: async (member, s) => offlineBallot(member, s),
    };
  return {
    name: model.name,
    async suggest(f, change, signal) {
      const rules = offlineSuggestion(f, change);
      try {
        const p = await model.generate(
          {
            role: "BETA",
            kind: "proposal",
            objective: `Propose a fix or an architectural change for this ${change} finding of an architecture review: ${f.title}`,
            context: { finding: f, change, rule_of_thumb: rules.what },
            persona:
              "the suggestion engine of an architecture review: say what to change, where, and why, for this one finding",
            ...(signal ? { signal } : {}),
          },
          Proposal,
        );
        return {
          ...rules,
          title: p.title.slice(0, 200),
          what: p.summary,
          why: p.tradeoffs.length > 0 ? p.tradeoffs.join("; ") : rules.why,
          model: model.name,
          note: `Written by ${model.name}; the risk is agov's rule for a ${f.kind} finding.`,
        };
      } catch (err) {
        return {
          ...rules,
          note: `${model.name} failed for this finding (${(err as Error).message.slice(0, 200)}). ${rules.note}`,
        };
      }
    },
    async ballot(member, s, signal) {
      const lens = LENSES[member];
      try {
        const v = await model.generate(
          {
            role: member,
            kind: "vote",
            objective: `Vote on this suggestion of an architecture review through the ${lens} lens: approve, reject or abstain, with your reason.`,
            context: { proposal: s },
            persona: `a council member who judges suggestions by ${lens}`,
            ...(signal ? { signal } : {}),
          },
          Vote,
        );
        return {
          vote: VOTES[v.vote],
          reasoning: `(${lens} lens, ${model.name}) ${v.reason}`.slice(0, 2000),
        };
      } catch (err) {
        const fallback = offlineBallot(member, s);
        return {
          ...fallback,
          reasoning:
            `${model.name} failed (${(err as Error).message.slice(0, 200)}); ${fallback.reasoning}`.slice(
              0,
              2000,
            ),
        };
      }
    },
  };
}
