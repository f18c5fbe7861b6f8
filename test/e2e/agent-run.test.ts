// `agov agent run`: one governed agent through one task on its own, as a user runs it — the real
// binary on a fresh AGOV_HOME, on the offline model, on an OpenAI-compatible endpoint, from a
// template, and against a running `agov serve --http` with tokens an operator issued.
import { afterEach, describe, expect, it } from "vitest";
import { agov, httpServer, issueToken, tempHome } from "../support/agov.js";
import { type FakeOpenAI, startFakeOpenAI } from "../support/fake-openai.js";
import { offlineReply } from "../support/runner.js";

const OBJECTIVE = "Design a distributed event-driven analytics platform";
const PHASES = ["BOOTSTRAP", "PREFLIGHT", "PLAN", "EXECUTE", "VERIFY", "PACKAGE", "REPORT", "EXIT"];

let fake: FakeOpenAI | undefined;
afterEach(async () => {
  await fake?.close();
  fake = undefined;
});

interface Report {
  agent_id: string;
  tier: number;
  model: string;
  completed: boolean;
  phases: Array<{ phase: string }>;
  artifacts: Array<{ name: string; kind: string }>;
  ledger: { rows: number; entries: Array<{ tool: string | null; decision: string }> };
}

async function ledgerAgents(home: string): Promise<string[]> {
  const r = await agov(["audit", "query", "--limit", "1000", "--json"], { AGOV_HOME: home });
  return [...new Set((JSON.parse(r.stdout) as Array<{ agent_id: string }>).map((x) => x.agent_id))];
}

describe("agov agent run", () => {
  it("runs one agent through the whole lifecycle on the offline model and reports phases, artifacts and ledger rows", async () => {
    const home = tempHome();
    const r = await agov(["agent", "run", "--objective", OBJECTIVE], { AGOV_HOME: home });
    expect(r.code, r.stderr).toBe(0);
    // The Markdown report: every phase, every artifact, the ledger rows.
    expect(r.stdout).toMatch(/^# Design a distributed event-driven analytics platform/);
    for (const p of PHASES) expect(r.stdout).toContain(p);
    expect(r.stdout).toMatch(/## Artifacts[\s\S]*plan[\s\S]*deliverable[\s\S]*report/);
    expect(r.stdout).toMatch(/## Ledger rows[\s\S]*phase_transition[\s\S]*artifact_record/);
    expect(r.stdout).toMatch(/offline.*placeholder/i);
    expect(r.stderr).toMatch(/agent +EXIT/);
    const verify = await agov(["audit", "verify"], { AGOV_HOME: home });
    expect(verify.code, verify.stderr).toBe(0);
    // Its token was withdrawn when the run ended.
    const tokens = JSON.parse(
      (await agov(["token", "list", "--json"], { AGOV_HOME: home })).stdout,
    );
    expect(tokens.filter((t: { status: string }) => t.status === "live")).toEqual([]);
  });

  it("thinks with an OpenAI-compatible endpoint, at the tier and from the template asked for", async () => {
    fake = await startFakeOpenAI();
    fake.setFallback(offlineReply);
    const home = tempHome();
    const r = await agov(
      ["agent", "run", "--objective", "Add a staging VPC", "--template", "terraform", "--json"],
      { AGOV_HOME: home, OPENAI_BASE_URL: fake.url, AGOV_MODEL: "test-model" },
    );
    expect(r.code, r.stderr).toBe(0);
    const report = JSON.parse(r.stdout) as Report;
    expect(report.completed).toBe(true);
    expect(report.model).toBe("openai:test-model");
    expect(report.tier).toBe(1); // the Terraform specialist's tier
    expect(report.phases.map((p) => p.phase)).toEqual(PHASES);
    expect(report.artifacts.map((a) => a.name)).toEqual(
      expect.arrayContaining(["plan", "terraform-plan", "risk-assessment", "report"]),
    );
    expect(report.ledger.rows).toBeGreaterThan(10);
    expect(report.ledger.entries.some((e) => e.tool === "artifact_record")).toBe(true);
    expect(fake.requests.length).toBeGreaterThan(2);
    expect(await ledgerAgents(home)).toContain(report.agent_id);
  });

  it("runs against a running agov serve --http with tokens an operator issued", async () => {
    const home = tempHome();
    const agentToken = await issueToken(home, "solo-1", 2);
    const issuerToken = await issueToken(home, "dispatcher", 3);
    const server = await httpServer(home);
    try {
      const r = await agov(
        [
          "agent",
          "run",
          "--objective",
          OBJECTIVE,
          "--url",
          server.url,
          "--token",
          agentToken,
          "--issuer-token",
          issuerToken,
          "--json",
        ],
        // Another home: everything it does goes through the server's, over MCP.
        { AGOV_HOME: tempHome() },
      );
      expect(r.code, r.stderr).toBe(0);
      const report = JSON.parse(r.stdout) as Report;
      expect(report).toMatchObject({ agent_id: "solo-1", tier: 2, completed: true });
      expect(report.ledger.rows).toBeGreaterThan(10);
      // On the server's own AGOV_HOME, --url alone: the tokens are issued here, then withdrawn.
      const local = await agov(["agent", "run", "--objective", OBJECTIVE, "--url", server.url], {
        AGOV_HOME: home,
      });
      expect(local.code, local.stderr).toBe(0);
      expect(local.stdout).toMatch(/\*\*Completed\*\*/);
      expect(local.stderr).toContain(`server ${server.url}`);
    } finally {
      await server.stop();
    }
    expect(await ledgerAgents(home)).toEqual(expect.arrayContaining(["solo-1", "dispatcher"]));
  });

  it("says the server refused the token (not that it cannot be reached) for a bad --token", async () => {
    const home = tempHome();
    const server = await httpServer(home);
    try {
      const r = await agov(
        ["agent", "run", "--objective", OBJECTIVE, "--url", server.url, "--token", "agov_forged"],
        { AGOV_HOME: tempHome() },
      );
      expect(r.code).toBe(1);
      expect(r.stderr).toMatch(
        /UNAUTHENTICATED: agov at .* refused the token: token not recognised/,
      );
      expect(r.stderr).not.toMatch(/cannot reach/);
    } finally {
      await server.stop();
    }
  });

  it("refuses bad flags in one line", async () => {
    const home = tempHome();
    for (const args of [
      ["agent", "run"],
      ["agent", "run", "--objective", "x", "--tier", "9"],
      ["agent", "run", "--objective", "x", "--template", "nope"],
      ["agent", "run", "--objective", "x", "--token", "abc"],
    ]) {
      const r = await agov(args, { AGOV_HOME: home });
      expect(r.code, r.stderr).toBe(2);
      expect(r.stderr.trim().split("\n")).toHaveLength(1);
    }
  });
});

describe("agov agent run on a failing model endpoint", () => {
  it("stops at its timeout without being revoked, exit 1, naming the endpoint", async () => {
    fake = await startFakeOpenAI();
    fake.setFallback(() => ({ status: 503, json: { error: { message: "overloaded" } } }));
    const home = tempHome();
    const r = await agov(["agent", "run", "--objective", OBJECTIVE, "--timeout", "3", "--json"], {
      AGOV_HOME: home,
      OPENAI_BASE_URL: fake.url,
    });
    expect(r.code, r.stderr).toBe(1);
    const report = JSON.parse(r.stdout) as Report & { error: string };
    expect(report.completed).toBe(false);
    expect(report.error).toContain(`model endpoint ${fake.url}`);
    const revocations = await agov(["audit", "query", "--kind", "revocation", "--json"], {
      AGOV_HOME: home,
    });
    expect(JSON.parse(revocations.stdout)).toEqual([]);
  });
});
