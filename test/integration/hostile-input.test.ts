// Arguments built to break the governed call path rather than to use a tool: nesting deep enough to
// overflow a recursive walk, and caller keys that name Object.prototype's members. Each must still
// be refused (or counted) on the record and against the budget, like any other bad call.
import { statSync } from "node:fs";
import { join } from "node:path";
import { afterEach, describe, expect, it } from "vitest";
import { type InProc, startInProc } from "../support/inproc.js";
import { givePacket, TO_EXECUTE, walk } from "../support/runs.js";

let env: InProc;
afterEach(async () => env?.close());

/** `[[[…0…]]]` nested `depth` deep, built without recursion. */
function nested(depth: number): unknown {
  let v: unknown = 0;
  for (let i = 0; i < depth; i++) v = [v];
  return v;
}

describe("deeply nested arguments", () => {
  it("refuses 5,000-deep arguments as INVALID_INPUT naming the limit, on the ledger and charged", async () => {
    env = await startInProc();
    const orch = await env.connect("orch", 3);
    await givePacket(orch, "alpha", "t");
    const alpha = await env.connect("alpha", 1);
    await walk(alpha, TO_EXECUTE);

    const r = await alpha.call("blackboard_post", {
      task_id: "t",
      section: "progress",
      key: "k",
      value: nested(5000),
      expected_version: 0,
    });
    expect(r, r.text).toMatchObject({ isError: true, code: "INVALID_INPUT" });
    expect(r.text).toMatch(/arguments: nested deeper than 64 levels/);
    const rows = await env.rt.ledger.query({ agent_id: "alpha", tool: "blackboard_post" });
    expect(rows).toEqual([
      expect.objectContaining({ decision: "deny", success: 0, error_type: "INVALID_INPUT" }),
    ]);
    expect(rows[0]!.args_digest).toMatch(/^[0-9a-f]{64}$/);
    expect((await env.rt.state.errors.get("alpha")).total_errors).toBe(1);
    const posted = await env.rt.state.blackboard.read("t");
    expect(posted.filter((e) => e.key === "k")).toEqual([]);
    expect((await env.rt.ledger.verify()).ok).toBe(true);
  });

  it("refuses 5,000-deep arguments to an unknown tool on the ledger", async () => {
    env = await startInProc();
    const alpha = await env.connect("alpha", 1);
    const r = await alpha.call("no_such_tool", { x: nested(5000) });
    expect(r, r.text).toMatchObject({ isError: true, code: "INVALID_INPUT" });
    expect(await env.rt.ledger.query({ agent_id: "alpha", tool: "no_such_tool" })).toEqual([
      expect.objectContaining({ decision: "deny", error_type: "INVALID_INPUT" }),
    ]);
  });

  it("revokes an agent that calls a forbidden tool with deeply nested arguments", async () => {
    env = await startInProc();
    const orch = await env.connect("orch", 3);
    await givePacket(orch, "alpha", "t", { constraints: { forbidden: ["blackboard_post"] } });
    const alpha = await env.connect("alpha", 1);
    await walk(alpha, TO_EXECUTE);
    const r = await alpha.call("blackboard_post", {
      task_id: "t",
      section: "progress",
      key: "k",
      value: nested(5000),
      expected_version: 0,
    });
    expect(r).toMatchObject({ isError: true, code: "INVALID_INPUT" });
    expect(await env.rt.ledger.revocations("alpha")).toEqual([
      expect.objectContaining({ reason_type: "FORBIDDEN_ACTION" }),
    ]);
  });

  it("refuses arguments with more values than the node budget", async () => {
    env = await startInProc();
    const alpha = await env.connect("alpha", 1);
    const r = await alpha.call("blackboard_post", {
      task_id: "t",
      section: "progress",
      key: "k",
      value: Array.from({ length: 150_000 }, () => 0),
      expected_version: 0,
    });
    expect(r).toMatchObject({ isError: true, code: "INVALID_INPUT" });
    expect(r.text).toMatch(/arguments: more than 100,000 values/);
    expect(await env.rt.ledger.query({ agent_id: "alpha", tool: "blackboard_post" })).toHaveLength(
      1,
    );
  });

  it("still takes arguments nested as deep as the limit allows", async () => {
    env = await startInProc();
    const alpha = await env.connect("alpha", 1);
    const r = await alpha.call("blackboard_post", {
      task_id: "t",
      section: "progress",
      key: "k",
      value: nested(60),
      expected_version: 0,
    });
    expect(r.isError, r.text).toBe(false);
  });
});

describe("caller keys named like Object.prototype's members", () => {
  for (const type of ["constructor", "toString", "valueOf"]) {
    it(`revokes an agent for the same error twice when the error type is "${type}"`, async () => {
      env = await startInProc();
      const orch = await env.connect("orch", 3);
      await givePacket(orch, "alpha", "t");
      const alpha = await env.connect("alpha", 1);
      await walk(alpha, TO_EXECUTE);
      const first = await alpha.call("error_report", { error_type: type, message: "boom" });
      expect(first.isError, first.text).toBe(false);
      expect(first.data).toMatchObject({ revoked: false, counters: { by_type: { [type]: 1 } } });
      const second = await alpha.call("error_report", { error_type: type, message: "boom" });
      expect(second.data).toMatchObject({ revoked: true });
      expect(await env.rt.ledger.revocations("alpha")).toEqual([
        expect.objectContaining({ reason_type: "SAME_ERROR_REPEATED" }),
      ]);
    });
  }
});

describe("caller strings of any length", () => {
  /** Bytes of a SQLite database with its write-ahead log. */
  const size = (home: string, db: string) =>
    ["", "-wal"]
      .map((ext) => {
        try {
          return statSync(join(home, `${db}${ext}`)).size;
        } catch {
          return 0;
        }
      })
      .reduce((a, b) => a + b, 0);

  it("keeps five calls with a 3 MB unknown tool name from growing the ledger, the state or the answers", async () => {
    env = await startInProc();
    const orch = await env.connect("orch", 3);
    await givePacket(orch, "alpha", "t");
    const alpha = await env.connect("alpha", 1);
    await walk(alpha, TO_EXECUTE);
    await env.rt.ledger.flush();
    const home = env.rt.config.home;
    const before = { ledger: size(home, "ledger.db"), state: size(home, "state.db") };

    const texts: string[] = [];
    for (let i = 0; i < 5; i++) {
      const r = await alpha.call(`${i}`.repeat(3_000_000), {});
      expect(r).toMatchObject({ isError: true, code: "NOT_FOUND" });
      texts.push(r.text);
    }
    await env.rt.ledger.flush();
    expect(size(home, "ledger.db") - before.ledger).toBeLessThan(1_000_000);
    expect(size(home, "state.db") - before.state).toBeLessThan(1_000_000);
    for (const t of texts) expect(t.length).toBeLessThan(500);
    // Clipped names still tell the five apart.
    expect(new Set(texts).size).toBe(5);
    const rows = await env.rt.ledger.query({ agent_id: "alpha", decision: "deny" });
    expect(rows).toHaveLength(5);
    for (const row of rows) expect(row.tool!.length).toBeLessThanOrEqual(200);
  });

  it("keeps the answer to a call with many long unknown fields small", async () => {
    env = await startInProc();
    const alpha = await env.connect("alpha", 1);
    const args = Object.fromEntries(
      Array.from({ length: 50 }, (_, i) => [`${i}`.padEnd(10_000, "x"), 1]),
    );
    const r = await alpha.call("whoami", args);
    expect(r).toMatchObject({ isError: true, code: "INVALID_INPUT" });
    expect(r.text).toMatch(/and 45 more: unknown field\(s\)/);
    expect(r.text.length).toBeLessThan(2_000);
  });
});
