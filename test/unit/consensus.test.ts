// The seed's three consensus rules, table-driven: every required agent voted, accepts exceed
// rejects, and no required agent rejected. Only required voters are counted unless the proposal
// opts in to counting every vote; the others are recorded as uncounted.
import { describe, expect, it } from "vitest";
import { evaluateConsensus, type Vote, type VoteValue } from "../../src/coordination/consensus.js";

const v = (agent: string, vote: VoteValue): Vote => ({
  agent,
  vote,
  reasoning: "r",
  timestamp: "2026-01-01T00:00:00Z",
});

type Status = "pending" | "accepted" | "rejected";
/** name, required voters, votes, status counting required voters only, status counting all. */
const cases: Array<[string, string[], Vote[], Status, Status]> = [
  ["no votes yet", ["a", "b"], [], "pending", "pending"],
  [
    "one required voter missing",
    ["a", "b"],
    [v("a", "ACCEPT"), v("c", "ACCEPT")],
    "pending",
    "pending",
  ],
  ["all required accept", ["a", "b"], [v("a", "ACCEPT"), v("b", "ACCEPT")], "accepted", "accepted"],
  [
    "a required REJECT outweighs more ACCEPTs",
    ["a", "b"],
    [v("a", "ACCEPT"), v("b", "REJECT"), v("c", "ACCEPT"), v("d", "ACCEPT")],
    "rejected",
    "rejected",
  ],
  [
    "an outsider's REJECT is outvoted",
    ["a"],
    [v("a", "ACCEPT"), v("b", "ACCEPT"), v("c", "REJECT")],
    "accepted",
    "accepted",
  ],
  [
    "outsiders' REJECTs decide only when every vote counts",
    ["a", "b"],
    [v("a", "ACCEPT"), v("b", "ACCEPT"), v("c", "REJECT"), v("d", "REJECT"), v("e", "REJECT")],
    "accepted",
    "rejected",
  ],
  [
    "outsiders' ACCEPTs carry what the required voters abstained on only when every vote counts",
    ["a", "b"],
    [v("a", "ABSTAIN"), v("b", "ABSTAIN"), v("c", "ACCEPT")],
    "rejected",
    "accepted",
  ],
  [
    "accepts equal to rejects is not enough",
    ["a", "b"],
    [v("a", "ACCEPT"), v("b", "ABSTAIN"), v("c", "REJECT")],
    "accepted",
    "rejected",
  ],
  ["only abstentions", ["a", "b"], [v("a", "ABSTAIN"), v("b", "ABSTAIN")], "rejected", "rejected"],
  [
    "abstain plus one accept",
    ["a", "b"],
    [v("a", "ABSTAIN"), v("b", "ACCEPT")],
    "accepted",
    "accepted",
  ],
];

describe("consensus rules", () => {
  it.each(cases)("%s", (_name, required, votes, requiredOnly, all) => {
    expect(evaluateConsensus(required, votes).status).toBe(requiredOnly);
    expect(evaluateConsensus(required, votes, { countAll: true }).status).toBe(all);
  });

  it("names who is missing, whose votes were not counted, and why a proposal failed", () => {
    expect(evaluateConsensus(["a", "b"], [v("a", "ACCEPT"), v("x", "REJECT")])).toMatchObject({
      missing: ["b"],
      uncounted: ["x"],
      reject: 0,
      reason: "waiting for b to vote",
    });
    expect(
      evaluateConsensus(["a", "b"], [v("a", "ACCEPT"), v("b", "REJECT"), v("c", "ACCEPT")]).reason,
    ).toBe("rejected by required agent(s) b");
    expect(
      evaluateConsensus(["a"], [v("a", "ACCEPT"), v("x", "REJECT")], { countAll: true }),
    ).toMatchObject({ uncounted: [], accept: 1, reject: 1, status: "rejected" });
  });

  it("treats agent ids named like Object's own properties as ordinary agents", () => {
    const t = evaluateConsensus(
      ["constructor", "hasOwnProperty"],
      [v("toString", "REJECT"), v("constructor", "ACCEPT"), v("__proto__", "REJECT")],
    );
    expect(t).toMatchObject({
      status: "pending",
      missing: ["hasOwnProperty"],
      uncounted: ["toString", "__proto__"],
      accept: 1,
      reject: 0,
    });
    const done = evaluateConsensus(
      ["constructor", "valueOf"],
      [v("constructor", "ACCEPT"), v("valueOf", "ACCEPT"), v("toString", "REJECT")],
    );
    expect(done).toMatchObject({ status: "accepted", accept: 2, uncounted: ["toString"] });
  });

  it("counts one vote per agent, its latest, even if listed twice", () => {
    const t = evaluateConsensus(["a"], [v("a", "REJECT"), v("a", "ACCEPT")]);
    expect(t).toMatchObject({ status: "accepted", accept: 1, reject: 0 });
  });
});
