// The short chaos run CI makes: `agov chaos --quick` with a fixed seed, through the real binary,
// against a real redis-server; every scenario must keep every invariant.
import { beforeAll, describe, expect, it } from "vitest";
import type { ChaosReport } from "../../agents/chaos/index.js";
import { agov } from "../support/agov.js";
import { redisAvailable } from "../support/redis-server.js";

const SEED = "13";
const REDIS = ["redis-kill-aof", "redis-kill-nopersist", "redis-stall", "two-servers"];
const LOCAL = ["server-kill", "agent-kill", "model-faults", "pipeline-kill"];
const withRedis = redisAvailable();

let report: ChaosReport;
let code: number;
let stderr: string;

beforeAll(async () => {
  const names = withRedis ? [...REDIS, ...LOCAL] : LOCAL;
  const r = await agov(
    ["chaos", "--quick", "--seed", SEED, "--json", ...names.flatMap((n) => ["--scenario", n])],
    {},
  );
  code = r.code;
  stderr = r.stderr;
  report = JSON.parse(r.stdout) as ChaosReport;
}, 280_000);

/** Every cell of the scenario's row that is not ok or n/a, as "invariant: detail". */
function broken(name: string, only?: string[]): string[] {
  const r = report.results.find((x) => x.name === name);
  if (!r) return [`${name} did not run`];
  if (r.skipped) return [`skipped: ${r.skipped}`];
  if (r.error) return [`error: ${r.error}`];
  return Object.entries(r.cells)
    .filter(([id, c]) => c.status === "FAIL" && (!only || only.includes(id)))
    .map(([id, c]) => `${id}: ${c.detail}`);
}

describe("agov chaos --quick", () => {
  it.each(LOCAL)("keeps every invariant under %s", (name) => {
    expect(broken(name), stderr.slice(-2000)).toEqual([]);
  });

  describe.runIf(withRedis)("on a real redis-server", () => {
    it.each(REDIS.filter((n) => n !== "redis-kill-nopersist"))(
      "keeps every invariant under %s",
      (name) => {
        expect(broken(name), stderr.slice(-2000)).toEqual([]);
      },
    );

    it("survives a Redis restart that lost its data with the ledger whole and service back", () => {
      const ledgerSide = ["acked", "outcomes", "verify", "stage-once", "revoked", "recovered"];
      expect(broken("redis-kill-nopersist", ledgerSide)).toEqual([]);
    });

    // A Redis restarted without persistence would start its fence counters again at 1: the epoch
    // guard quarantines locks until earlier leases have lapsed and lifts fences above them.
    it("keeps fences increasing and one holder per lock across that restart", () => {
      expect(broken("redis-kill-nopersist", ["fences", "one-holder"])).toEqual([]);
    });
  });

  it("exits 0 only when every invariant holds", () => {
    expect(code).toBe(report.ok ? 0 : 1);
    const anyFail = report.results.some(
      (r) => r.error || Object.values(r.cells).some((c) => c.status === "FAIL"),
    );
    expect(report.ok).toBe(!anyFail);
    expect(report.seed).toBe(Number(SEED));
  });
});
