// audit_query never hides rows: it says how many match, how many lie beyond the page, and the
// cursor of the next one; below T4 all of that counts only the caller's own rows.
import { afterEach, describe, expect, it } from "vitest";
import { type InProc, startInProc } from "../support/inproc.js";

describe("audit_query paging", () => {
  let env: InProc;
  afterEach(async () => {
    await env.close();
  });

  it("gives the total, what is beyond the page and the cursor of the next, by task too", async () => {
    env = await startInProc();
    const a = await env.connect("alpha-x1", 1);
    const other = await env.connect("beta-x1", 1);
    for (let i = 0; i < 4; i++)
      await a.call("blackboard_read", { task_id: i % 2 ? "run-x1" : "run-y2" });
    await other.call("blackboard_read", { task_id: "run-x1" });

    const first = await a.call("audit_query", { tool: "blackboard_read", limit: 3 });
    expect(first.isError).toBe(false);
    const rows = first.data.rows as Array<{ id: number; agent_id: string }>;
    expect(rows).toHaveLength(3);
    expect(rows.every((r) => r.agent_id === "alpha-x1")).toBe(true);
    expect(first.data).toMatchObject({ total: 4, more: 1, next_cursor: rows[2]!.id });

    const second = await a.call("audit_query", {
      tool: "blackboard_read",
      limit: 3,
      cursor: first.data.next_cursor,
    });
    expect(second.data).toMatchObject({ more: 0, next_cursor: null });
    expect(second.data.rows).toHaveLength(1);

    const task = await a.call("audit_query", { task_id: "run-x1" });
    expect(task.data).toMatchObject({ total: 2, more: 0 });

    const all = await env.connect("root", 4);
    const everyone = await all.call("audit_query", { task_id: "run-x1" });
    // alpha's two reads, beta's one, and alpha's audit_query that named the task too.
    expect(everyone.data).toMatchObject({ total: 4 });

    const bad = await a.call("audit_query", { cursor: 0 });
    expect(bad.isError).toBe(true);
    expect(bad.text).toMatch(/cursor/);
  });
});
