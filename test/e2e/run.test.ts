// `agov run` as a newcomer runs it: the real binary, a fresh AGOV_HOME, no API key; in-process,
// with one `agov serve` per agent over stdio, and against a running `agov serve --http`.

import { spawn } from "node:child_process";
import { readdirSync, statSync } from "node:fs";
import { join } from "node:path";
import { describe, expect, it } from "vitest";
import { agov, BIN, cleanEnv, httpServer, tempHome } from "../support/agov.js";

const OBJECTIVE = "Design a distributed event-driven analytics platform";

async function auditedAgents(home: string): Promise<string[]> {
  const verify = await agov(["audit", "verify"], { AGOV_HOME: home });
  expect(verify.code, verify.stderr).toBe(0);
  const rows = JSON.parse(
    (await agov(["audit", "query", "--limit", "1000", "--json"], { AGOV_HOME: home })).stdout,
  ) as Array<{ agent_id: string }>;
  return [...new Set(rows.map((r) => r.agent_id.replace(/-[0-9a-f]{6}$/, "")))].sort();
}

describe("agov run", () => {
  it("works an objective to a report on embedded defaults, every call audited", async () => {
    const home = tempHome();
    // Scale and low cost at once: the offline agents disagree, and GAMMA settles it.
    const r = await agov(["run", "Design a distributed, low-cost analytics platform"], {
      AGOV_HOME: home,
    });
    expect(r.code, r.stderr).toBe(0);
    expect(r.stdout).toMatch(/^# Design a distributed, low-cost analytics platform/);
    expect(r.stdout).toMatch(/\*\*Consensus reached\*\*/);
    expect(r.stderr).toMatch(/spawn GAMMA \(CONFLICT/);
    expect(r.stderr).toMatch(/ALPHA +EXIT/);
    expect(await auditedAgents(home)).toEqual(["alpha", "beta", "gamma", "orchestrator"]);
    await expectNoLiveTokens(home, 4);
    // Everything agov left under AGOV_HOME is private to its user, whatever the umask.
    const modes = walk(home).map((p) => [p.slice(home.length), statSync(p).mode & 0o777]);
    expect(modes.length).toBeGreaterThan(5);
    for (const [path, mode] of modes)
      expect(mode, `${path} is ${(mode as number).toString(8)}`).toBe(
        statSync(join(home, path as string)).isDirectory() ? 0o700 : 0o600,
      );
  });

  it("prints the seed's metrics with --json and writes the report with --out", async () => {
    const home = tempHome();
    const out = `${home}/report.md`;
    const r = await agov(["run", "Migrate a monolith to Kubernetes", "--json", "--out", out], {
      AGOV_HOME: home,
    });
    expect(r.code, r.stderr).toBe(0);
    const result = JSON.parse(r.stdout);
    expect(Object.keys(result.metrics)).toEqual(
      expect.arrayContaining([
        "duration_ms",
        "messages",
        "blackboard_ops",
        "model_calls",
        "gamma_spawned",
        "gamma_spawn_reason",
        "consensus",
        "ledger_rows",
      ]),
    );
    // Every governed call the agents made has its row (some calls add more: votes that settle a
    // proposal, reported errors), so the ledger holds at least as many rows as calls.
    expect(result.metrics.governance_calls).toBeGreaterThan(50);
    expect(result.metrics.ledger_rows).toBeGreaterThanOrEqual(result.metrics.governance_calls);
    const { readFileSync } = await import("node:fs");
    expect(readFileSync(out, "utf8")).toMatch(/^# Migrate a monolith to Kubernetes/);
  });

  it("runs the same with one agov serve per agent over stdio", async () => {
    const home = tempHome();
    const r = await agov(["run", OBJECTIVE, "--server", "stdio"], { AGOV_HOME: home });
    expect(r.code, r.stderr).toBe(0);
    expect(r.stdout).toMatch(/\*\*Consensus reached\*\*/);
    expect(await auditedAgents(home)).toEqual(["alpha", "beta", "gamma", "orchestrator"]);
  });

  it("runs the same against a running agov serve --http", async () => {
    const home = tempHome();
    const server = await httpServer(home);
    try {
      const r = await agov(["run", OBJECTIVE, "--server", server.url], { AGOV_HOME: home });
      expect(r.code, r.stderr).toBe(0);
      expect(r.stdout).toMatch(/\*\*Consensus reached\*\*/);
    } finally {
      await server.stop();
    }
    expect(await auditedAgents(home)).toEqual(["alpha", "beta", "gamma", "orchestrator"]);
  });

  it("says which server it cannot reach, and stops at once", async () => {
    const home = tempHome();
    const r = await agov(["run", OBJECTIVE, "--server", "http://127.0.0.1:1/mcp"], {
      AGOV_HOME: home,
    });
    expect(r.code).toBe(1);
    expect(r.stderr).toMatch(/UNAVAILABLE: cannot reach agov at http:\/\/127\.0\.0\.1:1\/mcp/);
    await expectNoLiveTokens(home, 1);
  });

  it("withdraws its agents' tokens when it is interrupted", async () => {
    const home = tempHome();
    const child = spawn(process.execPath, [BIN, "run", OBJECTIVE], {
      env: cleanEnv({ AGOV_HOME: home }),
      stdio: ["ignore", "pipe", "pipe"],
    });
    let err = "";
    await new Promise<void>((resolve, reject) => {
      const t = setTimeout(() => reject(new Error(`no progress: ${err}`)), 20_000);
      child.stderr.on("data", (d) => {
        err += d;
        if (/ALPHA\s+BOOTSTRAP/.test(err)) {
          clearTimeout(t);
          resolve();
        }
      });
    });
    const code = await new Promise<number | null>((resolve) => {
      child.once("exit", (c) => resolve(c));
      child.kill("SIGINT");
    });
    expect(code).toBe(130);
    await expectNoLiveTokens(home, 3);
  });

  it("refuses a missing objective or a bad flag in one line", async () => {
    const home = tempHome();
    for (const args of [
      ["run"],
      ["run", "x", "--server", "ftp://x"],
      ["run", "x", "--timeout", "0"],
    ]) {
      const r = await agov(args, { AGOV_HOME: home });
      expect(r.code).toBe(2);
      expect(r.stderr.trim().split("\n")).toHaveLength(1);
    }
  });
});

function walk(dir: string): string[] {
  const out = [dir];
  for (const e of readdirSync(dir, { withFileTypes: true })) {
    const p = join(dir, e.name);
    if (e.isDirectory()) out.push(...walk(p));
    else out.push(p);
  }
  return out;
}

/** Every token the run issued was withdrawn when it ended. */
async function expectNoLiveTokens(home: string, atLeast: number): Promise<void> {
  const tokens = JSON.parse((await agov(["token", "list", "--json"], { AGOV_HOME: home })).stdout);
  expect(tokens.length).toBeGreaterThanOrEqual(atLeast);
  expect(tokens.filter((t: { status: string }) => t.status === "live")).toEqual([]);
}
