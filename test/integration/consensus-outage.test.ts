// A consensus decision is never lost to a store that fails while saving it: the vote that decided
// fails visibly (UNAVAILABLE, retryable), and the next vote on the proposal saves the result.
import { mkdtempSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterEach, describe, expect, it } from "vitest";
import type { Caller } from "../../src/authority/index.js";
import { createConsensus } from "../../src/coordination/consensus.js";
import { createSqliteLedger } from "../../src/ledger/index.js";
import type { StateStore } from "../../src/state/index.js";
import { createSqliteState } from "../../src/state/sqlite.js";
import { manualClock, randomIds } from "../../src/util/clock.js";
import { AgovError } from "../../src/util/errors.js";

const closers: Array<() => Promise<void>> = [];
afterEach(async () => {
  for (const c of closers.splice(0)) await c();
});

const caller = (agent_id: string): Caller => ({
  agent_id,
  tier: 2,
  expires_at: Number.MAX_SAFE_INTEGER,
  token_id: agent_id,
  policies: [],
  issued_at: 0,
});

function setup() {
  const home = mkdtempSync(join(tmpdir(), "agov-consensus-"));
  const clock = manualClock();
  const real = createSqliteState({ home, clock, ids: randomIds });
  const ledger = createSqliteLedger({ home, clock });
  closers.push(async () => {
    await real.close();
    await ledger.close();
  });
  // The store fails the next write of a result entry, as Redis going away would.
  let failNext = false;
  const state: StateStore = {
    ...real,
    blackboard: {
      ...real.blackboard,
      post: async (entry) => {
        if (failNext && entry.key.startsWith("result:")) {
          failNext = false;
          throw new AgovError("UNAVAILABLE", "state store unreachable", { outcome: "not applied" });
        }
        return real.blackboard.post(entry);
      },
    },
  };
  const consensus = createConsensus({ state, ledger, clock, ids: randomIds });
  return { consensus, real, failOnce: () => (failNext = true) };
}

describe("consensus result under a store outage", () => {
  it("fails the deciding vote and saves the result with the next vote", async () => {
    const { consensus, real, failOnce } = setup();
    const p = await consensus.create(caller("a"), {
      task_id: "t",
      title: "plan",
      content: {},
      required_voters: ["a", "b"],
    });
    await consensus.vote(caller("a"), {
      task_id: "t",
      proposal_id: p.id,
      vote: "ACCEPT",
      reasoning: "",
    });
    failOnce();
    await expect(
      consensus.vote(caller("b"), {
        task_id: "t",
        proposal_id: p.id,
        vote: "ACCEPT",
        reasoning: "",
      }),
    ).rejects.toMatchObject({ code: "UNAVAILABLE" });
    const saved = () => real.blackboard.read("t", "consensus");
    expect((await saved()).map((e) => e.key)).not.toContain(`result:${p.id}`);

    // Any later vote finds the proposal decided, and saves what the outage kept out.
    await expect(
      consensus.vote(caller("c"), {
        task_id: "t",
        proposal_id: p.id,
        vote: "ACCEPT",
        reasoning: "",
      }),
    ).rejects.toMatchObject({ code: "CONFLICT" });
    const keys = (await saved()).map((e) => e.key);
    expect(keys).toContain(`result:${p.id}`);
    expect(keys).toContain("final");
  });
});
