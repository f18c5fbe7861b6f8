// Refused requests at the HTTP edge are on the record in bounded number: the first of a window per
// source and agent as a row, the rest as one summary row with the count, and a bounded number of
// windows held at once.
import { mkdtempSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterEach, describe, expect, it } from "vitest";
import { createSqliteLedger, type Ledger } from "../../src/ledger/index.js";
import { createRefusalLog, type RefusalLog } from "../../src/server/refusals.js";
import { manualClock } from "../../src/util/clock.js";
import { AgovError } from "../../src/util/errors.js";

let ledger: Ledger;
let log: RefusalLog;
afterEach(async () => {
  await log?.close();
  await ledger?.close();
});

function setup(maxSources?: number) {
  const clock = manualClock();
  ledger = createSqliteLedger({ home: mkdtempSync(join(tmpdir(), "agov-refusals-")), clock });
  log = createRefusalLog({
    ledger,
    clock,
    windowMs: 60_000,
    ...(maxSources ? { maxSources } : {}),
  });
  return clock;
}

const forged = new AgovError("UNAUTHENTICATED", "token not recognised");
const refusals = async () => ledger.query({ kind: "auth_refused", newest_first: false });
const detail = (row: { detail: string | null }) => JSON.parse(row.detail ?? "null");

describe("refusal log", () => {
  it("writes the first refusal of a window, and the rest as one summary when it closes", async () => {
    const clock = setup();
    for (let i = 0; i < 10; i++) log.refused("10.0.0.1", forged, "http: bearer token refused");
    clock.advance(59_999);
    await log.sweep();
    expect(await refusals()).toHaveLength(1);
    clock.advance(1);
    await log.sweep();
    const rows = await refusals();
    expect(rows).toHaveLength(2);
    expect(rows[0]).toMatchObject({ agent_id: "(unauthenticated)", error_type: "UNAUTHENTICATED" });
    expect(detail(rows[0]!)).toEqual({ source: "10.0.0.1" });
    expect(rows[1]!.action).toMatch(/9 more refusal\(s\) from 10\.0\.0\.1 between /);
    expect(detail(rows[1]!)).toMatchObject({ count: 9, codes: { UNAUTHENTICATED: 9 } });
    // The next refusal opens a new window with a row of its own.
    log.refused("10.0.0.1", forged, "http: bearer token refused");
    await log.close();
    expect(await refusals()).toHaveLength(3);
    expect((await ledger.verify()).ok).toBe(true);
  });

  it("keeps a revoked agent's refusals on its own record", async () => {
    setup();
    const revoked = new AgovError("REVOKED", "agent alpha was revoked", {
      agent_id: "alpha",
      tier: 1,
    });
    for (let i = 0; i < 3; i++) log.refused("10.0.0.1", revoked, "http: bearer token refused");
    log.refused("10.0.0.1", forged, "http: bearer token refused");
    await log.close();
    const alpha = await ledger.query({ kind: "auth_refused", agent_id: "alpha" });
    expect(alpha).toHaveLength(2);
    expect(alpha.map((r) => r.tier)).toEqual([1, 1]);
    expect(
      await ledger.query({ kind: "auth_refused", agent_id: "(unauthenticated)" }),
    ).toHaveLength(1);
  });

  it("holds at most maxSources windows and counts further sources together", async () => {
    setup(3);
    for (let s = 0; s < 10; s++)
      for (let i = 0; i < 5; i++) log.refused(`10.0.0.${s}`, forged, "http: bearer token refused");
    await log.close();
    const rows = await refusals();
    expect(rows).toHaveLength(8);
    const firsts = rows.filter((r) => r.error_reason !== "REFUSALS_SUMMARISED");
    const summaries = rows.filter((r) => r.error_reason === "REFUSALS_SUMMARISED");
    expect(firsts).toHaveLength(4);
    expect(summaries.map((r) => detail(r).source).sort()).toEqual([
      "(other sources)",
      "10.0.0.0",
      "10.0.0.1",
      "10.0.0.2",
    ]);
    const counted = summaries.reduce((n, r) => n + detail(r).count, 0);
    expect(counted + firsts.length).toBe(50);
  });
});
