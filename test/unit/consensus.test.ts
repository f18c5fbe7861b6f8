// The seed's three consensus rules, table-driven: every required agent voted, accepts exceed
// rejects, and no required agent rejected.
import { describe, expect, it } from "vitest";
import { evaluateConsensus, type Vote, type VoteValue } from "../../src/coordination/consensus.js";

const v = (agent: string, vote: VoteValue): Vote => ({
  agent,
  vote,
  reasoning: "r",
  timestamp: "2026-01-01T00:00:00Z",
});

const cases: Array<[string, string[], Vote[], "pending" | "accepted" | "rejected"]> = [
  ["no votes yet", ["a", "b"], [], "pending"],
  ["one required voter missing", ["a", "b"], [v("a", "ACCEPT"), v("c", "ACCEPT")], "pending"],
  ["all required accept", ["a", "b"], [v("a", "ACCEPT"), v("b", "ACCEPT")], "accepted"],
  [
    "a required REJECT outweighs more ACCEPTs",
    ["a", "b"],
    [v("a", "ACCEPT"), v("b", "REJECT"), v("c", "ACCEPT"), v("d", "ACCEPT")],
    "rejected",
  ],
  [
    "an optional REJECT is outvoted",
    ["a"],
    [v("a", "ACCEPT"), v("b", "ACCEPT"), v("c", "REJECT")],
    "accepted",
  ],
  [
    "accepts equal to rejects is not enough",
    ["a"],
    [v("a", "ACCEPT"), v("b", "REJECT")],
    "rejected",
  ],
  ["only abstentions", ["a", "b"], [v("a", "ABSTAIN"), v("b", "ABSTAIN")], "rejected"],
  ["abstain plus one accept", ["a", "b"], [v("a", "ABSTAIN"), v("b", "ACCEPT")], "accepted"],
];

describe("consensus rules", () => {
  it.each(cases)("%s", (_name, required, votes, status) => {
    expect(evaluateConsensus(required, votes).status).toBe(status);
  });

  it("names who is missing and why a proposal failed", () => {
    expect(evaluateConsensus(["a", "b"], [v("a", "ACCEPT")])).toMatchObject({
      missing: ["b"],
      reason: "waiting for b to vote",
    });
    expect(
      evaluateConsensus(["a", "b"], [v("a", "ACCEPT"), v("b", "REJECT"), v("c", "ACCEPT")]).reason,
    ).toBe("rejected by required agent(s) b");
  });
});
