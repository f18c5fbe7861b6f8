// Several processes appending to one ledger file must extend one unbroken chain.
import { spawn } from "node:child_process";
import { join } from "node:path";
import { pathToFileURL } from "node:url";
import { describe, expect, it } from "vitest";
import { createSqliteLedger } from "../../src/ledger/index.js";
import { systemClock } from "../../src/util/clock.js";
import { ROOT, tempHome } from "../support/agov.js";

const WRITER = `
import { createSqliteLedger } from ${JSON.stringify(pathToFileURL(join(ROOT, "src/ledger/index.ts")).href)};
const [home, agent, n] = process.argv.slice(1);
const ledger = createSqliteLedger({ home, clock: { now: () => Date.now() } });
for (let i = 0; i < Number(n); i++) {
  const id = await ledger.begin({ kind: "tool_call", agent_id: agent, tier: 1, action: "tools/call", decision: "allow", tool: "t" });
  if (i % 2) ledger.complete(id, { success: true, latency_us: i });
}
await ledger.close();
`;

function writer(home: string, agent: string, n: number): Promise<number> {
  return new Promise((resolve, reject) => {
    const child = spawn(
      process.execPath,
      ["--import", "tsx", "--input-type=module", "-e", WRITER, home, agent, String(n)],
      { stdio: ["ignore", "ignore", "inherit"] },
    );
    child.on("error", reject);
    child.on("close", (code) => resolve(code ?? -1));
  });
}

describe("ledger across processes", () => {
  it("keeps 2 x 1,000 concurrent appends in one valid chain", async () => {
    const home = tempHome("agov-ledger-mp-");
    await createSqliteLedger({ home, clock: systemClock }).close(); // migrate once, as a server would
    const codes = await Promise.all([writer(home, "p1", 1000), writer(home, "p2", 1000)]);
    expect(codes).toEqual([0, 0]);
    const ledger = createSqliteLedger({ home, clock: systemClock });
    expect(await ledger.count()).toBe(2000);
    expect(await ledger.verify()).toMatchObject({ ok: true, rows: 2000 });
    expect(await ledger.query({ agent_id: "p1", limit: 5000 })).toHaveLength(1000);
    const interleaved = (await ledger.query({ limit: 2000, newest_first: false })).some(
      (r, i, all) => i > 0 && all[i - 1]!.agent_id !== r.agent_id,
    );
    expect(interleaved).toBe(true);
    await ledger.close();
  });
});
