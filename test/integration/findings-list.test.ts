// findings_list over MCP: findings a review derived from agov's own ledger (who failed, was
// refused or revoked, with ledger row ids) are the ledger's to show, so below T4 they are left out
// and the answer says how many were; the repository's own test and lint findings are T1's.
import { afterEach, describe, expect, it } from "vitest";
import type { Finding } from "../../src/state/records.js";
import { type InProc, startInProc } from "../support/inproc.js";

let inproc: InProc | undefined;
afterEach(async () => {
  await inproc?.close();
  inproc = undefined;
});

function finding(over: Partial<Finding>): Finding {
  return {
    scope: "/repo",
    fingerprint: "0000000000000000",
    kind: "test",
    severity: "high",
    source: "npm test",
    tool: "node:test",
    title: "a test fails",
    message: "boom",
    file: "test/a.test.js",
    test: "a",
    rule: null,
    status: "open",
    first_seen: 1,
    last_seen: 1,
    occurrences: 1,
    count: 1,
    evidence: [],
    resolved_at: null,
    run_id: "architecture-review-1",
    ...over,
  };
}

describe("findings_list", () => {
  it("shows ledger findings to T4 only, and says below T4 how many were left out", async () => {
    inproc = await startInProc();
    const { findings } = inproc.rt.state;
    await findings.put(finding({ fingerprint: "aaaaaaaaaaaaaaaa" }));
    await findings.put(
      finding({
        fingerprint: "bbbbbbbbbbbbbbbb",
        kind: "ledger",
        source: "ledger",
        tool: "lock_acquire",
        title: "agent mallory was refused lock_acquire 3 times",
        message: "DENIED: mallory",
        file: null,
        test: null,
        evidence: ["12", "13", "14"],
        last_seen: 2,
      }),
    );
    const t1 = await inproc.connect("reader", 1);
    const low = await t1.call("findings_list", { target: "/repo" });
    expect(low.isError, low.text).toBe(false);
    expect((low.data.findings as Finding[]).map((f) => f.fingerprint)).toEqual([
      "aaaaaaaaaaaaaaaa",
    ]);
    expect(low.data.note).toMatch(/1 finding from agov's ledger .*T4/);

    const t4 = await inproc.connect("architect", 4);
    const all = await t4.call("findings_list", { target: "/repo" });
    expect((all.data.findings as Finding[]).map((f) => f.fingerprint).sort()).toEqual([
      "aaaaaaaaaaaaaaaa",
      "bbbbbbbbbbbbbbbb",
    ]);
    expect(all.data.note).toBeUndefined();
  });
});
