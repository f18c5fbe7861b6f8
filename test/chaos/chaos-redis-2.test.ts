// Chaos on a real redis-server killed and restarted, with its data kept (AOF) and lost.
import { describe, expect, it } from "vitest";
import { redisAvailable } from "../support/redis-server.js";
import { broken, chaosRun, exitsAsReported } from "./run.js";

describe.runIf(redisAvailable())("agov chaos --quick on a real redis-server", () => {
  const run = chaosRun(["redis-kill-aof", "redis-kill-nopersist"]);

  it("keeps every invariant under redis-kill-aof", () => {
    expect(broken(run(), "redis-kill-aof"), run().stderr.slice(-2000)).toEqual([]);
  });

  it("survives a Redis restart that lost its data with the ledger whole and service back", () => {
    const ledgerSide = ["acked", "outcomes", "verify", "stage-once", "revoked", "recovered"];
    expect(broken(run(), "redis-kill-nopersist", ledgerSide)).toEqual([]);
  });

  // A Redis restarted without persistence would start its fence counters again at 1: the epoch
  // guard quarantines locks until earlier leases have lapsed and lifts fences above them.
  it("keeps fences increasing and one holder per lock across that restart", () => {
    expect(broken(run(), "redis-kill-nopersist", ["fences", "one-holder"])).toEqual([]);
  });

  exitsAsReported(run);
});
