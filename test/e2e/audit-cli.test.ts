// The audit trail as an auditor reads it with the real binary: rows shown safely in a terminal,
// and a ledger whose end was cut off (even with its tip and the kept anchors rolled back) caught
// by an anchor exported earlier.
import { rmSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import Database from "better-sqlite3";
import { describe, expect, it } from "vitest";
import { agov, issueToken, stdioClient, tempHome } from "../support/agov.js";

describe("agov audit", () => {
  it("shows caller text escaped, so an error message cannot forge rows or move the cursor", async () => {
    const home = tempHome();
    const token = await issueToken(home, "mallory", 0);
    const c = await stdioClient(home, token);
    const forged =
      "boom\n999  2026-01-01T00:00:00.000Z  root  T4  agent_revoke  allow  yes\u001b[2J";
    await c.client.callTool({
      name: "error_report",
      arguments: { error_type: "X", message: forged },
    });
    await c.close();
    const r = await agov(["audit", "query", "--agent", "mallory"], { AGOV_HOME: home });
    expect(r.code).toBe(0);
    expect(r.stdout).not.toContain("\u001b");
    expect(r.stdout).not.toMatch(/^999 /m);
    expect(r.stdout).toContain("boom\\u000a999");
    const json = JSON.parse(
      (await agov(["audit", "query", "--agent", "mallory", "--json"], { AGOV_HOME: home })).stdout,
    );
    expect(json.some((row: { error_message: string }) => row.error_message === forged)).toBe(true);
  });

  it("says how many more rows match, pages with --cursor and --all, and filters by task and session", async () => {
    const home = tempHome();
    const token = await issueToken(home, "alpha-1a2b3c", 1);
    const c = await stdioClient(home, token);
    for (let i = 0; i < 3; i++)
      await c.client.callTool({
        name: "blackboard_read",
        arguments: { task_id: i === 1 ? "run-other" : "run-1a2b3c" },
      });
    await c.client.callTool({ name: "whoami", arguments: {} });
    await c.client.callTool({ name: "whoami", arguments: {} });
    await c.close();
    const q = (...args: string[]) => agov(["audit", "query", ...args], { AGOV_HOME: home });
    const all = JSON.parse((await q("--kind", "tool_call", "--json")).stdout) as Array<{
      id: number;
      session_id: string;
    }>;
    expect(all).toHaveLength(5);

    const first = await q("--kind", "tool_call", "--limit", "2");
    expect(first.code).toBe(0);
    const cursor = String(all[1]!.id);
    expect(first.stderr).toContain(
      `2 of 5 matching rows shown, newest first; 3 more: --cursor ${cursor} for the next page, --all for every one`,
    );
    const second = JSON.parse(
      (await q("--kind", "tool_call", "--limit", "2", "--cursor", cursor, "--json")).stdout,
    ) as Array<{ id: number }>;
    expect(second.map((r) => r.id)).toEqual([all[2]!.id, all[3]!.id]);
    const rest = await q("--kind", "tool_call", "--all", "--limit", "2", "--json");
    expect((JSON.parse(rest.stdout) as Array<{ id: number }>).map((r) => r.id)).toEqual(
      all.map((r) => r.id),
    );
    expect(rest.stderr).not.toMatch(/more:/);

    const task = JSON.parse((await q("--task", "run-1a2b3c", "--json")).stdout) as Array<{
      tool: string;
    }>;
    expect(task.map((r) => r.tool)).toEqual(["blackboard_read", "blackboard_read"]);
    const session = JSON.parse(
      (await q("--session", all[0]!.session_id, "--kind", "tool_call", "--json")).stdout,
    );
    expect(session).toHaveLength(5);

    const bad = await q("--cursor", "abc");
    expect(bad.code).toBe(2);
    expect(bad.stderr).toMatch(/--cursor/);
    const both = await q("--cursor", "3", "--all");
    expect(both.code).toBe(2);
  });

  it("filters by kind and refuses an unknown kind", async () => {
    const home = tempHome();
    await issueToken(home, "alpha", 1);
    const tokens = await agov(["audit", "query", "--kind", "token", "--json"], { AGOV_HOME: home });
    expect(JSON.parse(tokens.stdout)).toMatchObject([{ kind: "token", agent_id: "alpha" }]);
    const none = await agov(["audit", "query", "--kind", "revocation"], { AGOV_HOME: home });
    expect(none.stdout).toMatch(/No matching rows/);
    const bad = await agov(["audit", "query", "--kind", "nope"], { AGOV_HOME: home });
    expect(bad.code).toBe(2);
    expect(bad.stderr).toMatch(/--kind must be one of tool_call, /);
  });

  it("catches a cut-off end with an exported anchor, even when the kept anchors were rolled back", async () => {
    const home = tempHome();
    for (const a of ["a", "b", "c", "d"]) await issueToken(home, a, 0);
    const exported = await agov(["audit", "anchor"], { AGOV_HOME: home });
    expect(exported.code).toBe(0);
    const anchorFile = join(home, "..", `${home.split("/").pop()}-anchor.jsonl`);
    writeFileSync(anchorFile, exported.stdout);
    expect(JSON.parse(exported.stdout)).toMatchObject({ row_id: 4 });

    const ok = await agov(["audit", "verify", "--anchor", anchorFile], { AGOV_HOME: home });
    expect(ok.code).toBe(0);
    expect(ok.stdout).toMatch(/4 row\(s\), keyed hash chain verified, anchored up to row 4/);

    // The database's owner deletes the last two rows, rewrites the tip, drops the verified
    // checkpoint (it pins row 4) and the kept anchors.
    const db = new Database(join(home, "ledger.db"));
    db.prepare("DELETE FROM agent_actions WHERE id > 2").run();
    db.prepare("DELETE FROM ledger_meta WHERE key = 'verified_checkpoint'").run();
    const tip = db.prepare("SELECT entry_hash FROM agent_actions WHERE id = 2").pluck().get();
    db.prepare("UPDATE ledger_tip SET last_id = 2, entry_hash = ?").run(tip);
    db.close();
    rmSync(join(home, "keys", "anchors.jsonl"));
    expect((await agov(["audit", "verify"], { AGOV_HOME: home })).code).toBe(0);

    const caught = await agov(["audit", "verify", "--anchor", anchorFile], { AGOV_HOME: home });
    expect(caught.code).toBe(1);
    expect(caught.stderr).toMatch(/FAILED \(truncated\) at row 3: .*rows 3–4 were deleted/);
    rmSync(anchorFile);
  });

  it("verifies only new rows after a passing verify, and every row with --full", async () => {
    const home = tempHome();
    for (const a of ["a", "b"]) await issueToken(home, a, 0);
    const first = await agov(["audit", "verify"], { AGOV_HOME: home });
    expect(first.stdout).toMatch(/^Ledger intact: verified all 2 row\(s\)/);
    await issueToken(home, "c", 0);
    const next = await agov(["audit", "verify", "--json"], { AGOV_HOME: home });
    expect(JSON.parse(next.stdout)).toMatchObject({
      ok: true,
      scope: "incremental",
      checkpoint: 2,
      first_row: 3,
      last_row: 3,
      summary: expect.stringMatching(/verified row 3 after the checkpoint at row 2/),
    });

    // An edit of a row the incremental verify does not read again: only --full reads it.
    const db = new Database(join(home, "ledger.db"));
    db.prepare("UPDATE agent_actions SET agent_id = 'mallory' WHERE id = 1").run();
    db.close();
    const quick = await agov(["audit", "verify"], { AGOV_HOME: home });
    expect(quick.code).toBe(0);
    expect(quick.stdout).toMatch(/no rows after the checkpoint at row 3/);
    const full = await agov(["audit", "verify", "--full"], { AGOV_HOME: home });
    expect(full.code).toBe(1);
    expect(full.stderr).toMatch(/FAILED \(modified\) at row 1: row 1 was modified/);
  });
});
