// One vocabulary of failures: every answer's code and reason come from the one table, in the
// answer's _meta and on the ledger row, never as prefixes of free text.
import { afterEach, describe, expect, it } from "vitest";
import { ERROR_CODES, REASON_NAMES } from "../../src/util/errors.js";
import { type InProc, startInProc } from "../support/inproc.js";
import { givePacket, walk } from "../support/runs.js";

let env: InProc;
afterEach(async () => env?.close());

describe("error codes and reasons", () => {
  it("carries the reason in _meta and on the ledger, not in the message", async () => {
    env = await startInProc();
    const orch = await env.connect("orchestrator", 3);
    const alpha = await env.connect("alpha", 1);
    const none = await alpha.client.callTool({
      name: "phase_transition",
      arguments: { phase: "BOOTSTRAP" },
    });
    expect(none._meta?.["agov/error"]).toMatchObject({
      code: "NOT_FOUND",
      reason: "NO_INSTRUCTION_PACKET",
      retryable: false,
    });
    const text = (none.content as Array<{ text: string }>)[0]!.text;
    expect(text).toMatch(/^NOT_FOUND \(NO_INSTRUCTION_PACKET\): no instruction packet for alpha/);

    // A revocation, an agent's own error report and a refusal after it.
    await givePacket(orch, "alpha", "t1");
    await walk(alpha, ["BOOTSTRAP"]);
    await alpha.call("error_report", { error_type: "model_timeout", message: "slow" });
    await alpha.call("phase_transition", { phase: "EXIT" });
    const again = await env.connect("alpha", 1);
    const r = await again.call("phase_transition", { phase: "BOOTSTRAP" });
    expect(r.text).toMatch(/^DENIED \(AGENT_PREVIOUSLY_REVOKED\): alpha was revoked before/);

    const rows = await env.rt.ledger.query({ limit: 1000 });
    expect(rows.length).toBeGreaterThan(5);
    for (const row of rows) {
      if (row.error_type !== null) expect(ERROR_CODES).toContain(row.error_type);
      if (row.error_reason !== null) expect(REASON_NAMES).toContain(row.error_reason);
    }
    const byReason = (reason: string) => rows.filter((x) => x.error_reason === reason);
    expect(byReason("NO_INSTRUCTION_PACKET")).toMatchObject([{ error_type: "NOT_FOUND" }]);
    expect(byReason("AGENT_PREVIOUSLY_REVOKED")).toMatchObject([{ error_type: "DENIED" }]);
    expect(byReason("PROCEDURE_VIOLATION")).toMatchObject([
      { kind: "revocation", error_type: "REVOKED" },
    ]);
    const [report] = rows.filter((x) => x.kind === "error_report");
    expect(report).toMatchObject({ error_type: null, error_message: "slow" });
    expect(JSON.parse(report!.detail!)).toMatchObject({ error_type: "model_timeout" });
  });
});
