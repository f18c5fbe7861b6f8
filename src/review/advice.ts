// The suggestion engine's offline author and the council's offline lenses: deterministic, so a
// review without a model gives the same answer twice, and labelled as placeholders, so nobody
// takes a rule of thumb for a diagnosis. A real model (the runner's) would replace both.
import type { Finding } from "../state/index.js";
import type { Change } from "./findings.js";
import type { Severity } from "./parse.js";

export const OFFLINE_NOTE =
  "A deterministic placeholder from the offline model: it restates the finding as a next step by rule of thumb; it has not read the code.";

export interface Suggestion {
  fingerprint: string;
  title: string;
  kind: "fix" | "architecture";
  what: string;
  why: string;
  risk: Severity;
  evidence: {
    finding: string;
    change: Change;
    source: string;
    message: string;
    ledger_rows: string[];
  };
  model: string;
  note: string;
}

export function offlineSuggestion(f: Finding, change: Change): Suggestion {
  const base = { fingerprint: f.fingerprint, model: "offline", note: OFFLINE_NOTE };
  const evidence = {
    finding: f.fingerprint,
    change,
    source: f.source,
    message: f.message,
    ledger_rows: f.evidence,
  };
  const again = change === "new" ? "" : ` (${change}: seen in ${f.occurrences} runs)`;
  switch (f.kind) {
    case "test":
      return {
        ...base,
        title: `Make test "${f.test}" pass${again}`,
        kind: "fix",
        what: `Find the change that made "${f.test}"${f.file ? ` in ${f.file}` : ""} fail with "${f.message}", and fix the code under test (or the test, if its expectation is what is wrong).`,
        why: `A failing test hides every later regression in the same place; ${f.source} reported it.`,
        risk: "medium",
        evidence,
      };
    case "lint":
      return {
        ...base,
        title: `Fix ${f.rule ?? "the lint error"} in ${f.file ?? "the code"}${again}`,
        kind: "fix",
        what: `Change ${f.file ?? "the file"} so that ${f.rule ?? "the rule"} no longer reports "${f.message}" (${f.count} place${f.count === 1 ? "" : "s"}).`,
        why: `${f.tool} flags it as ${f.severity === "low" ? "a warning" : "an error"}; such code is where bugs of that kind start.`,
        risk: "low",
        evidence,
      };
    case "command":
      return {
        ...base,
        title: `Make "${f.source}" pass or report in a readable format${again}`,
        kind: "fix",
        what: `"${f.source}" failed without output agov can read (${f.message}). Give it a machine-readable reporter (JUnit XML, TAP, vitest/jest JSON, ESLint or Biome JSON) and fix what fails.`,
        why: "A failure nobody can attribute to a file or a test cannot be tracked across runs.",
        risk: "low",
        evidence,
      };
    case "ledger":
      return {
        ...base,
        title: `Address ${f.title}${again}`,
        kind: "architecture",
        what:
          f.tool === "revocation"
            ? `Find why agents are revoked for ${f.rule}: the packets, the pipeline's declared artifacts or the agents' procedure do not fit the work. Change the one at fault rather than retrying.`
            : `Decide whether ${f.tool} should be granted to the tier that keeps asking for it, or whether the callers should stop asking (${f.message}); change the policy or the agents, not both.`,
        why: `The ledger holds ${f.count} row(s) of it; repeated refusals and revocations are a design mismatch, not bad luck.`,
        risk: "high",
        evidence,
      };
  }
}

export const COUNCIL = ["ALPHA", "BETA", "GAMMA"] as const;
export type CouncilMember = (typeof COUNCIL)[number];
export const LENSES: Record<CouncilMember, string> = {
  ALPHA: "correctness",
  BETA: "simplicity",
  GAMMA: "operability",
};

export interface Ballot {
  vote: "ACCEPT" | "REJECT" | "ABSTAIN";
  reasoning: string;
}

/** One member's vote through its lens (the offline rules; each says which lens and that it is offline). */
export function offlineBallot(member: CouncilMember, s: Suggestion): Ballot {
  const lens = `${LENSES[member]} lens, offline rules`;
  const evidenced = s.evidence.message.length > 0 || s.evidence.ledger_rows.length > 0;
  if (member === "ALPHA")
    return evidenced
      ? {
          vote: "ACCEPT",
          reasoning: `(${lens}) It names its evidence and the place of the failure.`,
        }
      : {
          vote: "REJECT",
          reasoning: `(${lens}) No message and no ledger rows: nothing to check a fix against.`,
        };
  if (member === "BETA")
    return s.kind === "fix"
      ? { vote: "ACCEPT", reasoning: `(${lens}) A local fix; nothing simpler would do.` }
      : {
          vote: "ABSTAIN",
          reasoning: `(${lens}) An architectural change: I would try the smallest local change first, but do not block it.`,
        };
  return s.risk === "high"
    ? {
        vote: "ACCEPT",
        reasoning: `(${lens}) Rerunning the review shows whether it worked; at high risk a person should sign it off.`,
      }
    : { vote: "ACCEPT", reasoning: `(${lens}) Rerunning the review shows whether it worked.` };
}

const RANK: Record<Severity, number> = { low: 0, medium: 1, high: 2 };
export const atLeast = (risk: Severity, threshold: Severity) => RANK[risk] >= RANK[threshold];
