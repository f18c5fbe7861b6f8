// `agov review` as a team uses it: the real binary on a fresh AGOV_HOME and the offline model,
// pointed at a copy of test/fixtures/review-repo (one failing node:test test, one lint error in
// ESLint's JSON format; nothing to install). Two findings with fingerprints, a suggestion and a
// council vote on each; a rerun re-reviews nothing; fixing the test resolves its finding.
import {
  cpSync,
  existsSync,
  mkdirSync,
  mkdtempSync,
  readFileSync,
  rmSync,
  writeFileSync,
} from "node:fs";
import { createServer, type Server } from "node:http";
import type { AddressInfo } from "node:net";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterEach, describe, expect, it } from "vitest";
import type { ReviewReport } from "../../src/review/report.js";
import { agov, issueToken, ROOT, stdioClient, tempHome } from "../support/agov.js";
import { answer, type FakeOpenAI, startFakeOpenAI } from "../support/fake-openai.js";

const made: string[] = [];
const servers: Server[] = [];
afterEach(async () => {
  for (const d of made.splice(0)) rmSync(d, { recursive: true, force: true });
  for (const s of servers.splice(0)) await new Promise((r) => s.close(r));
  await fake?.close();
  fake = undefined;
});
let fake: FakeOpenAI | undefined;

/** GitHub's issue-comment endpoint, as a local double that keeps what it was sent. */
async function githubDouble() {
  const seen: Array<{ path: string; auth: string | undefined; body: { body?: string } }> = [];
  const server = createServer(async (req, res) => {
    let text = "";
    for await (const chunk of req) text += chunk;
    seen.push({ path: req.url!, auth: req.headers.authorization, body: JSON.parse(text || "{}") });
    const reply = (status: number, data: unknown) =>
      res.writeHead(status, { "content-type": "application/json" }).end(JSON.stringify(data));
    if (req.headers.authorization !== "Bearer ghp_test_token")
      return reply(401, { message: "Bad credentials" });
    if (req.method === "POST" && req.url === "/api/v3/repos/acme/app/issues/12/comments")
      return reply(201, { id: 5, html_url: "https://github.example/acme/app/issues/12#c5" });
    return reply(404, { message: "Not Found" });
  });
  servers.push(server);
  await new Promise<void>((r) => server.listen(0, "127.0.0.1", r));
  const { port } = server.address() as AddressInfo;
  return { url: `http://127.0.0.1:${port}/api/v3`, seen };
}

function fixtureCopy(): string {
  const dir = mkdtempSync(join(tmpdir(), "agov-review-repo-"));
  made.push(dir);
  cpSync(join(ROOT, "test/fixtures/review-repo"), dir, { recursive: true });
  return dir;
}

async function review(home: string, repo: string, ...extra: string[]) {
  const r = await agov(["review", repo, "--json", ...extra], { AGOV_HOME: home });
  expect(r.code, r.stderr).toBe(0);
  return { report: JSON.parse(r.stdout) as ReviewReport, stderr: r.stderr };
}

describe("agov review", () => {
  it("finds the failing test and the lint error, reviews each once, and resolves the fixed test", async () => {
    const home = tempHome();
    made.push(home);
    const repo = fixtureCopy();

    const first = (await review(home, repo)).report;
    expect(first.status).toBe("succeeded");
    expect(first.findings).toHaveLength(2);
    const test = first.findings.find((f) => f.kind === "test")!;
    const lint = first.findings.find((f) => f.kind === "lint")!;
    expect(test).toMatchObject({
      change: "new",
      status: "open",
      severity: "high",
      source: "npm test",
      test: "add sums two numbers",
    });
    expect(test.message).toContain("-1 !== 5");
    expect(lint).toMatchObject({
      change: "new",
      status: "open",
      source: "npm run lint",
      file: "src/greet.js",
      rule: "eqeqeq",
    });
    for (const f of [test, lint]) expect(f.fingerprint).toMatch(/^[0-9a-f]{16}$/);
    expect(test.fingerprint).not.toBe(lint.fingerprint);
    // A suggestion per finding, each decided by the three council members with their lenses.
    expect(first.reviews.map((r) => r.suggestion.fingerprint).sort()).toEqual(
      [test.fingerprint, lint.fingerprint].sort(),
    );
    for (const r of first.reviews) {
      expect(r.suggestion.what.length).toBeGreaterThan(0);
      expect(r.suggestion.note).toMatch(/placeholder/);
      expect(r.status).toBe("accepted");
      expect(r.votes.map((v) => v.lens).sort()).toEqual([
        "correctness",
        "operability",
        "simplicity",
      ]);
    }
    const md = readFileSync(first.files!.markdown, "utf8");
    expect(md).toContain('test "add sums two numbers" fails');
    expect(md).toContain("eqeqeq in src/greet.js");
    expect(existsSync(first.files!.json)).toBe(true);

    // The votes were cast by governed agents: they are on the ledger.
    const rows = await agov(
      ["audit", "query", "--tool", "vote_cast", "--kind", "tool_call", "--limit", "100", "--json"],
      {
        AGOV_HOME: home,
      },
    );
    expect(rows.code, rows.stderr).toBe(0);
    expect(JSON.parse(rows.stdout)).toHaveLength(6);

    const again = (await review(home, repo)).report;
    expect(again.summary.reviewed).toBe(0);
    expect(again.reviews).toEqual([]);
    expect(again.findings.map((f) => [f.fingerprint, f.change]).sort()).toEqual(
      [
        [test.fingerprint, "unchanged"],
        [lint.fingerprint, "unchanged"],
      ].sort(),
    );
    expect(readFileSync(again.files!.markdown, "utf8")).toContain(
      "Nothing new or changed since the last review: no finding was re-reviewed.",
    );

    writeFileSync(
      join(repo, "src/math.js"),
      readFileSync(join(repo, "src/math.js"), "utf8").replace("a - b", "a + b"),
    );
    const fixed = (await review(home, repo)).report;
    const after = new Map(fixed.findings.map((f) => [f.fingerprint, f]));
    expect(after.get(test.fingerprint)).toMatchObject({ change: "resolved", status: "resolved" });
    expect(after.get(lint.fingerprint)).toMatchObject({ change: "unchanged", status: "open" });
    expect(fixed.summary).toMatchObject({ open: 1, resolved: 1, reviewed: 0 });

    // Findings are readable over MCP.
    const token = await issueToken(home, "reader", 1);
    const { client, close } = await stdioClient(home, token);
    try {
      const res = await client.callTool({
        name: "findings_list",
        arguments: { target: first.target },
      });
      const out = res.structuredContent as {
        findings: Array<{ fingerprint: string; status: string }>;
      };
      expect(out.findings.map((f) => [f.fingerprint, f.status]).sort()).toEqual(
        [
          [test.fingerprint, "resolved"],
          [lint.fingerprint, "open"],
        ].sort(),
      );
    } finally {
      await close();
    }
  });

  it("holds an accepted suggestion at or above the risk threshold at the signoff gate for a person", async () => {
    const home = tempHome();
    made.push(home);
    const repo = fixtureCopy();
    const { report } = await review(home, repo, "--risk-threshold", "medium");
    // The test's fix is medium risk, the lint fix low: only the first waits.
    expect(report.reviews.map((r) => [r.suggestion.risk, r.status, r.gate]).sort()).toEqual([
      ["low", "accepted", false],
      ["medium", "accepted", true],
    ]);
    expect(report.summary.waiting_gate).toBe(1);
    expect(report.gate?.approve).toContain(`agov pipeline approve ${report.run_id} signoff`);
    expect(readFileSync(report.files!.markdown, "utf8")).toContain("## Waiting for a person");
    const status = async () =>
      JSON.parse(
        (await agov(["pipeline", "status", report.run_id, "--json"], { AGOV_HOME: home })).stdout,
      ) as { status: string; stages: Array<{ name: string; status: string }> };
    expect((await status()).stages.find((s) => s.name === "signoff")?.status).toBe("waiting");
    const ok = await agov(["pipeline", "approve", report.run_id, "signoff", "--by", "alice"], {
      AGOV_HOME: home,
    });
    expect(ok.code, ok.stderr).toBe(0);
    const resumed = await agov(["pipeline", "resume", report.run_id], { AGOV_HOME: home });
    expect(resumed.code, resumed.stderr).toBe(0);
    expect((await status()).status).toBe("succeeded");
  });

  it("posts the report as an issue comment with the GitHub integration, on the ledger", async () => {
    const gh = await githubDouble();
    const home = tempHome();
    made.push(home);
    const repo = fixtureCopy();
    const env = { AGOV_HOME: home, AGOV_GITHUB_API_URL: gh.url, GITHUB_TOKEN: "ghp_test_token" };
    const r = await agov(["review", repo, "--json", "--github", "acme/app#12"], env);
    expect(r.code, r.stderr).toBe(0);
    const report = JSON.parse(r.stdout) as ReviewReport;
    expect(report.comment).toEqual({ url: "https://github.example/acme/app/issues/12#c5" });
    expect(gh.seen).toHaveLength(1);
    expect(gh.seen[0]!.body.body).toContain('test "add sums two numbers" fails');
    expect(gh.seen[0]!.body.body).toContain("eqeqeq in src/greet.js");
    const rows = await agov(["audit", "query", "--kind", "integration", "--json"], env);
    expect(JSON.parse(rows.stdout)).toEqual([
      expect.objectContaining({ tool: "github.comment", success: true }),
    ]);
    // Without the integration configured it refuses before running anything.
    const bare = await agov(["review", repo, "--github", "acme/app#12"], { AGOV_HOME: home });
    expect(bare.code).toBe(2);
    expect(bare.stderr).toMatch(/GITHUB_TOKEN/);
  });

  it("writes suggestions and casts votes with the configured model, and names it", async () => {
    fake = await startFakeOpenAI();
    // One reply that fits both the proposal and the vote schema: each request takes what it asks.
    fake.setFallback(() =>
      answer({
        title: "Restore addition in add()",
        summary: "src/math.js subtracts; make add return a + b.",
        components: [{ name: "math", responsibility: "arithmetic", technology: "node" }],
        tradeoffs: ["A one-line change, covered by the failing test"],
        confidence: 0.9,
        proposal_title: "Restore addition in add()",
        vote: "approve",
        reason: "The evidence points at the line.",
      }),
    );
    const home = tempHome();
    made.push(home);
    const repo = fixtureCopy();
    const env = { AGOV_HOME: home, OPENAI_BASE_URL: fake.url, OPENAI_API_KEY: "sk-test" };
    const r = await agov(["review", repo, "--json"], env);
    expect(r.code, r.stderr).toBe(0);
    const report = JSON.parse(r.stdout) as ReviewReport;
    expect(report.model).not.toBe("offline");
    expect(report.reviews).toHaveLength(2);
    for (const v of report.reviews) {
      expect(v.suggestion).toMatchObject({ what: "src/math.js subtracts; make add return a + b." });
      expect(v.suggestion.model).toBe(report.model);
      expect(v.suggestion.note).not.toMatch(/placeholder/);
      expect(v.votes.map((b) => b.vote)).toEqual(["ACCEPT", "ACCEPT", "ACCEPT"]);
      expect(v.votes[0]!.reasoning).toContain("The evidence points at the line.");
    }
    // Two suggestions and six votes went to the model, each vote through its member's lens.
    const prompts = fake.requests.map((q) => JSON.stringify(q.body));
    expect(prompts.filter((p) => p.includes("through the correctness lens"))).toHaveLength(2);
    expect(prompts.filter((p) => p.includes("through the operability lens"))).toHaveLength(2);
  });

  it("runs a repository's own .agov/review.yaml only within what a reviewed repository may ask", async () => {
    const home = tempHome();
    made.push(home);
    const repo = fixtureCopy();
    const own = (stages: string) =>
      writeFileSync(
        join(repo, ".agov", "review.yaml"),
        `pipeline:\n  name: architecture-review\n  stages:\n${stages}`,
      );
    mkdirSync(join(repo, ".agov"));
    const refused: Array<[string, RegExp]> = [
      // A command stage above T2 (the operator's T3 grants) is not the reviewed repository's to use.
      [
        "    - deploy:\n        type: command\n        tier: 3\n        run: [[npm, test]]\n",
        /deploy \(T3\) would run above .*T2/,
      ],
      // Nor the operator's GitHub token, nor an agent stage the review does not drive.
      [
        "    - tell:\n        type: github\n        repo: acme/app\n        comment: { number: 1, body: hi }\n",
        /tell.*github.*--pipeline/i,
      ],
      [
        "    - plan:\n        agent: ALPHA\n        objective: anything at all\n",
        /plan.*not a review stage.*--pipeline/i,
      ],
    ];
    for (const [stages, said] of refused) {
      own(stages);
      const r = await agov(["review", repo], { AGOV_HOME: home });
      expect(r.code, r.stderr).toBe(1);
      expect(r.stderr).toMatch(said);
    }
    expect(existsSync(join(home, "reviews"))).toBe(false);
  });

  it("refuses a path that is not a directory, saying so", async () => {
    const home = tempHome();
    made.push(home);
    const r = await agov(["review", join(home, "nope")], { AGOV_HOME: home });
    expect(r.code).toBe(2);
    expect(r.stderr).toMatch(/is not a directory/);
    for (const [args, said] of [
      [["--risk-threshold", "extreme"], /--risk-threshold must be low, medium or high/],
      [["--watch", "soon"], /--watch takes an interval/],
      [["--github", "acme/app"], /--github takes owner\/repo#number/],
    ] as const) {
      const bad = await agov(["review", ROOT, ...args], { AGOV_HOME: home });
      expect(bad.code, bad.stderr).toBe(2);
      expect(bad.stderr).toMatch(said);
    }
    // Refused before anything ran: no review was written.
    expect(existsSync(join(home, "reviews"))).toBe(false);
  });
});
