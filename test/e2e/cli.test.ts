// The CLI as a newcomer uses it: the real binary, a fresh AGOV_HOME, no other configuration.
import { existsSync, mkdtempSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import Database from "better-sqlite3";
import { describe, expect, it } from "vitest";
import { agov, tempHome } from "../support/agov.js";
import { startInProc } from "../support/inproc.js";
import { givePacket, TO_EXECUTE, walk } from "../support/runs.js";

describe("agov CLI", () => {
  it("issues a token, lists the agent at its tier without the token, and audits both", async () => {
    const home = tempHome();
    const issued = await agov(["token", "issue", "--agent", "alpha", "--tier", "1", "--json"], {
      AGOV_HOME: home,
    });
    expect(issued.code).toBe(0);
    const t = JSON.parse(issued.stdout);
    expect(t).toMatchObject({ agent_id: "alpha", tier: 1 });
    expect(Date.parse(t.expires_at) - Date.now()).toBeGreaterThan(29 * 60_000);
    expect(Date.parse(t.expires_at) - Date.now()).toBeLessThanOrEqual(30 * 60_000);
    const list = await agov(["token", "list"], { AGOV_HOME: home });
    expect(list.code).toBe(0);
    expect(list.stdout).toMatch(/alpha\s+T1 operator\s+live/);
    expect(list.stdout).not.toContain(t.token);
    const json = JSON.parse((await agov(["token", "list", "--json"], { AGOV_HOME: home })).stdout);
    expect(json).toEqual([expect.objectContaining({ agent_id: "alpha", tier: 1, status: "live" })]);
    expect(JSON.stringify(json)).not.toContain(t.token);

    expect((await agov(["token", "revoke", "--agent", "alpha"], { AGOV_HOME: home })).code).toBe(0);
    expect((await agov(["token", "list"], { AGOV_HOME: home })).stdout).toMatch(
      /alpha\s+T1 operator\s+revoked/,
    );
    const rows = JSON.parse((await agov(["audit", "query", "--json"], { AGOV_HOME: home })).stdout);
    expect(rows.map((r: { action: string }) => r.action)).toEqual([
      expect.stringMatching(/^revoked: MANUAL/),
      expect.stringMatching(/^token issue: alpha at T1/),
    ]);
  });

  it("prints help for every command", async () => {
    for (const args of [
      ["--help"],
      ["serve", "--help"],
      ["token", "--help"],
      ["token", "issue", "--help"],
      ["audit", "query", "--help"],
      ["audit", "--help"],
    ]) {
      const r = await agov(args, { AGOV_HOME: tempHome() });
      expect(r.code, args.join(" ")).toBe(0);
      expect(r.stdout).toMatch(/Usage/);
    }
  });

  it.each([
    [["--tier", "9"], /unknown option --tier/],
    [
      ["token", "issue", "--agent", "a", "--tier", "x"],
      /--tier must be a whole number from 0 to 4, got "x"/,
    ],
    [
      ["token", "issue", "--agent", "a", "--tier", "5"],
      /--tier must be a whole number from 0 to 4/,
    ],
    [["token", "issue", "--tier", "1"], /--agent is required/],
    [
      ["token", "issue", "--agent", "a", "--tier", "1", "--ttl", "soon"],
      /--ttl must be a duration/,
    ],
    [["token", "issue", "--agent", "a", "--tier", "1", "--colour"], /unknown option --colour/],
    [
      ["token", "issue", "--agent", "a", "--tier", "1", "--ttl", "999999999d"],
      /--ttl must be from 1s to 366d, got "999999999d"/,
    ],
    [
      ["token", "issue", "--agent", "a", "--tier", "1", "--ttl", "0"],
      /--ttl must be from 1s to 366d/,
    ],
    [["token", "issue", "--agent", "a", "--tier", "1", "--ttl", "500ms"], /--ttl must be from 1s/],
    [["audit", "query", "--decision", "maybe"], /--decision must be allow or deny/],
    [["audit", "query", "--since", "yesterday"], /--since must be an ISO time/],
    [["frobnicate"], /unknown command "frobnicate"/],
    [
      ["token", "issue", "--agent", "a/b", "--tier", "1"],
      /--agent must be letters, digits and \. _ : - only/,
    ],
    [
      ["agent", "create", "--agent", "a/b", "--tier", "1"],
      /--agent must be letters, digits and \. _ : - only/,
    ],
  ])("refuses %j with one clear line and writes nothing", async (args, message) => {
    const home = join(tempHome(), "h");
    const r = await agov(args, { AGOV_HOME: home });
    expect(r.code).not.toBe(0);
    expect(r.stderr).toMatch(message);
    expect(r.stderr.trim().split("\n")).toHaveLength(1);
    expect(existsSync(home)).toBe(false);
  });

  it("stops on a malformed agov.config.yaml with one line, writing nothing", async () => {
    const cwd = mkdtempSync(join(tmpdir(), "agov-cwd-"));
    writeFileSync(join(cwd, "agov.config.yaml"), "home: ./h\nstate: [oops\n");
    const r = await agov(["token", "list"], {}, cwd);
    expect(r.code).toBe(2);
    expect(r.stderr.trim().split("\n")).toHaveLength(1);
    expect(r.stderr).toMatch(/agov\.config\.yaml: not valid YAML/);
    expect(existsSync(join(cwd, "h"))).toBe(false);
    writeFileSync(join(cwd, "agov.config.yaml"), "home: ./h\nauthority: ldap\n");
    const r2 = await agov(["token", "list"], {}, cwd);
    expect(r2.stderr).toMatch(/authority .*expected one of "local"\|"vault"/);
    expect(existsSync(join(cwd, "h"))).toBe(false);
  });

  it("verifies an intact ledger and names the row that was edited or deleted", async () => {
    const home = tempHome();
    for (const a of ["a", "b", "c"])
      await agov(["token", "issue", "--agent", a, "--tier", "0"], { AGOV_HOME: home });
    const ok = await agov(["audit", "verify"], { AGOV_HOME: home });
    expect(ok.code).toBe(0);
    expect(ok.stdout).toMatch(/3 row\(s\)/);
    // Rows up to the checkpoint of that verify are read again only with --full.
    const db = new Database(join(home, "ledger.db"));
    db.prepare("UPDATE agent_actions SET decision = 'deny' WHERE id = 2").run();
    db.close();
    const quick = await agov(["audit", "verify"], { AGOV_HOME: home });
    expect(quick.stdout).toMatch(/no rows after the checkpoint at row 3/);
    const bad = await agov(["audit", "verify", "--full"], { AGOV_HOME: home });
    expect(bad.code).toBe(1);
    expect(bad.stderr).toMatch(/row 2/);
    const db2 = new Database(join(home, "ledger.db"));
    db2.prepare("UPDATE agent_actions SET decision = 'allow' WHERE id = 2").run();
    expect((await agov(["audit", "verify", "--full"], { AGOV_HOME: home })).code).toBe(0);
    db2.prepare("DELETE FROM agent_actions WHERE id = 1").run();
    db2.close();
    const gone = await agov(["audit", "verify", "--full"], { AGOV_HOME: home });
    expect(gone.code).toBe(1);
    expect(gone.stderr).toMatch(/row 1 is missing/);
  });

  it("refuses stdio serve without a token in one line", async () => {
    const r = await agov(["serve"], { AGOV_HOME: tempHome() });
    expect(r.code).toBe(2);
    expect(r.stderr).toMatch(/set AGOV_TOKEN/);
    expect(r.stdout).toBe("");
    const bad = await agov(["serve"], { AGOV_HOME: tempHome(), AGOV_TOKEN: "agov_forged" });
    expect(bad.code).toBe(1);
    expect(bad.stderr.trim().split("\n")).toHaveLength(1);
    // The one line says why and what to do; a client would have been answered with it too.
    expect(bad.stderr).toMatch(/UNAUTHENTICATED: .*token not recognised.*agov token issue/);
    expect(bad.stdout).toBe("");
  });

  it("issues up to 366 days, and lists a stored expiry however far out", async () => {
    const home = tempHome();
    const year = await agov(["token", "issue", "--agent", "a", "--tier", "1", "--ttl", "366d"], {
      AGOV_HOME: home,
    });
    expect(year.code, year.stderr).toBe(0);
    expect(year.stderr).toMatch(/\(366d\)/);
    const short = await agov(["token", "issue", "--agent", "b", "--tier", "1", "--ttl", "90s"], {
      AGOV_HOME: home,
    });
    expect(short.stderr).toMatch(/\(90s\)/);
    // A row an older agov stored with an expiry past what a date can hold.
    const db = new Database(join(home, "authority.db"));
    db.prepare(
      "INSERT INTO tokens (token_id, token_hash, agent_id, tier, issued_at, expires_at) VALUES ('old', 'h', 'legacy', 1, 0, 86399999913600000)",
    ).run();
    db.close();
    const list = await agov(["token", "list"], { AGOV_HOME: home });
    expect(list.code, list.stderr).toBe(0);
    expect(list.stdout).toMatch(/legacy\s+T1 operator\s+live/);
    const json = await agov(["token", "list", "--json"], { AGOV_HOME: home });
    expect(json.code, json.stderr).toBe(0);
    expect(JSON.parse(json.stdout)).toHaveLength(3);
  });

  it("exits 1 when the agent has nothing to revoke, and records nothing", async () => {
    const home = tempHome();
    await agov(["token", "issue", "--agent", "a", "--tier", "0"], { AGOV_HOME: home });
    const r = await agov(["token", "revoke", "--agent", "nobody"], { AGOV_HOME: home });
    expect(r.code).toBe(1);
    expect(r.stderr).toMatch(/nobody has no live token and no run or packet: nothing to revoke/);
    const rows = JSON.parse((await agov(["audit", "query", "--json"], { AGOV_HOME: home })).stdout);
    expect(rows.map((x: { action: string }) => x.action)).toEqual([
      expect.stringMatching(/^token issue: a/),
    ]);
  });

  it("revokes through governance: the run is marked, its locks freed, a handoff left, its session told", async () => {
    const env = await startInProc();
    try {
      const orch = await env.connect("orch", 3);
      await givePacket(orch, "alpha", "t");
      const alpha = await env.connect("alpha", 1);
      await walk(alpha, TO_EXECUTE);
      const lock = await alpha.call("lock_acquire", { resource: "db", ttl_ms: 600_000 });
      expect(lock.isError, lock.text).toBe(false);
      const told = alpha.listChanged();
      const r = await agov(["token", "revoke", "--agent", "alpha"], {
        AGOV_HOME: env.rt.config.home,
      });
      expect(r.code, r.stderr).toBe(0);
      expect(r.stderr).toMatch(/Revoked 1 live token\(s\) of alpha/);
      expect(await env.rt.governance.getRun("alpha")).toMatchObject({ revoked: true });
      expect(await env.rt.state.locks.status("db")).toBeNull();
      expect(await env.rt.governance.handoff("t")).toMatchObject({
        previous_agent_id: "alpha",
        revocation_reason: { type: "MANUAL" },
        last_known_state: { phase: "EXECUTE" },
      });
      expect(await env.rt.ledger.revocations("alpha")).toMatchObject([
        { reason_type: "MANUAL", revoked_by: "operator:cli" },
      ]);
      await expect.poll(() => alpha.listChanged(), { timeout: 5000 }).toBeGreaterThan(told);
      expect((await alpha.call("whoami")).code).toBe("REVOKED");
    } finally {
      await env.close();
    }
  });
});
