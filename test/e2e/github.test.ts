// GitHub from a pipeline as a person runs it: the real binary, AGOV_GITHUB_API_URL pointing at a
// local double of the REST endpoints used, GITHUB_TOKEN set. A stage opens a pull request with an
// earlier stage's output in its body, the next comments on it; each call is on the ledger.
import { writeFileSync } from "node:fs";
import { createServer, type Server } from "node:http";
import type { AddressInfo } from "node:net";
import { join } from "node:path";
import { afterEach, describe, expect, it } from "vitest";
import { agov, tempHome } from "../support/agov.js";

const servers: Server[] = [];
afterEach(async () => {
  for (const s of servers.splice(0)) await new Promise((r) => s.close(r));
});

interface Seen {
  method: string;
  path: string;
  auth: string | undefined;
  body: Record<string, unknown>;
}

async function githubDouble(
  reviews: Array<{ user: { login: string }; state: string }> = [],
): Promise<{ url: string; seen: Seen[] }> {
  const seen: Seen[] = [];
  const server = createServer(async (req, res) => {
    let text = "";
    for await (const chunk of req) text += chunk;
    const body = text ? (JSON.parse(text) as Record<string, unknown>) : {};
    seen.push({ method: req.method!, path: req.url!, auth: req.headers.authorization, body });
    const reply = (status: number, data: unknown) =>
      res.writeHead(status, { "content-type": "application/json" }).end(JSON.stringify(data));
    if (req.headers.authorization !== "Bearer ghp_test_token")
      return reply(401, { message: "Bad credentials" });
    if (req.method === "POST" && req.url === "/api/v3/repos/acme/app/pulls")
      return reply(201, { number: 7, html_url: "https://github.example/acme/app/pull/7" });
    if (req.method === "GET" && req.url === "/api/v3/repos/acme/app/pulls/7/reviews?per_page=100")
      return reply(200, reviews);
    if (req.method === "POST" && req.url === "/api/v3/repos/acme/app/issues/7/comments")
      return reply(201, { id: 99, html_url: "https://github.example/acme/app/pull/7#c99" });
    return reply(404, { message: "Not Found" });
  });
  servers.push(server);
  await new Promise<void>((r) => server.listen(0, "127.0.0.1", r));
  const { port } = server.address() as AddressInfo;
  return { url: `http://127.0.0.1:${port}/api/v3`, seen };
}

const PIPELINE = `pipeline:
  name: ship-change
  stages:
    - test: { type: command, tier: 4, run: [[node, -e, "console.log('12 tests passed')"]] }
    - open:
        type: github
        repo: acme/app
        requires: [test]
        open_pull_request:
          head: feature/cache
          base: main
          title: Add a cache
          body: "Tests: \${stages.test.artifacts.test-output}"
    - note:
        type: github
        repo: acme/app
        requires: [open]
        comment: { pull_request_of: open, body: Opened by agov }
`;

describe("GitHub stages", () => {
  it("opens a pull request with the token, comments on it, and puts both calls on the ledger", async () => {
    const gh = await githubDouble();
    const home = tempHome();
    const file = join(home, "ship.yaml");
    writeFileSync(file, PIPELINE);
    const env = { AGOV_HOME: home, AGOV_GITHUB_API_URL: gh.url, GITHUB_TOKEN: "ghp_test_token" };
    const r = await agov(["pipeline", "run", file], env);
    expect(r.code, r.stderr).toBe(0);
    expect(r.stdout).toMatch(/SUCCEEDED/);
    expect(gh.seen.map((s) => `${s.method} ${s.path}`)).toEqual([
      "POST /api/v3/repos/acme/app/pulls",
      "POST /api/v3/repos/acme/app/issues/7/comments",
    ]);
    expect(gh.seen[0]).toMatchObject({
      auth: "Bearer ghp_test_token",
      body: {
        head: "feature/cache",
        base: "main",
        title: "Add a cache",
        body: "Tests: 12 tests passed\n",
      },
    });
    expect(gh.seen[1]!.body).toEqual({ body: "Opened by agov" });
    const rows = await agov(["audit", "query", "--kind", "integration", "--json"], env);
    const list = JSON.parse(rows.stdout) as Array<{
      tool: string;
      success: number;
      action: string;
    }>;
    expect(list.map((x) => [x.tool, x.success]).sort()).toEqual([
      ["github.comment", true],
      ["github.open_pull_request", true],
    ]);
    expect(rows.stdout).not.toContain("ghp_test_token");
    expect((await agov(["audit", "verify"], env)).code).toBe(0);
  });

  it("holds a stage until the pull request is approved, and fails it when changes are requested", async () => {
    const pipeline = `pipeline:
  name: reviewed
  stages:
    - open:
        type: github
        repo: acme/app
        open_pull_request: { head: feature/cache, base: main, title: Add a cache }
    - approved: { type: github, repo: acme/app, requires: [open], wait_for_review: { pull_request_of: open, timeout: 1h } }
    - note: { type: github, repo: acme/app, requires: [open, approved], comment: { pull_request_of: open, body: Approved } }
`;
    const run = async (reviews: Array<{ user: { login: string }; state: string }>) => {
      const gh = await githubDouble(reviews);
      const home = tempHome();
      const file = join(home, "reviewed.yaml");
      writeFileSync(file, pipeline);
      const r = await agov(["pipeline", "run", file], {
        AGOV_HOME: home,
        AGOV_GITHUB_API_URL: gh.url,
        GITHUB_TOKEN: "ghp_test_token",
      });
      return { r, gh };
    };
    const ok = await run([
      { user: { login: "rev" }, state: "CHANGES_REQUESTED" },
      { user: { login: "rev" }, state: "APPROVED" },
      { user: { login: "other" }, state: "COMMENTED" },
    ]);
    expect(ok.r.code, ok.r.stderr).toBe(0);
    expect(ok.gh.seen.map((s) => `${s.method} ${s.path}`)).toEqual([
      "POST /api/v3/repos/acme/app/pulls",
      "GET /api/v3/repos/acme/app/pulls/7/reviews?per_page=100",
      "POST /api/v3/repos/acme/app/issues/7/comments",
    ]);
    const no = await run([
      { user: { login: "a" }, state: "APPROVED" },
      { user: { login: "b" }, state: "CHANGES_REQUESTED" },
    ]);
    expect(no.r.code).not.toBe(0);
    expect(`${no.r.stdout}${no.r.stderr}`).toMatch(/acme\/app#7: changes requested by b/);
    expect(no.gh.seen.map((s) => s.method)).toEqual(["POST", "GET"]);
  });

  it("fails the stage clearly without a token, and with a token GitHub refuses", async () => {
    const gh = await githubDouble();
    const home = tempHome();
    const file = join(home, "ship.yaml");
    writeFileSync(file, PIPELINE);
    const none = await agov(["pipeline", "run", file], {
      AGOV_HOME: home,
      AGOV_GITHUB_API_URL: gh.url,
    });
    expect(none.code).not.toBe(0);
    expect(`${none.stdout}${none.stderr}`).toMatch(/GitHub is not configured: set GITHUB_TOKEN/);
    expect(gh.seen).toEqual([]);
    const bad = await agov(["pipeline", "run", file], {
      AGOV_HOME: home,
      AGOV_GITHUB_API_URL: gh.url,
      GITHUB_TOKEN: "ghp_wrong",
    });
    expect(bad.code).not.toBe(0);
    expect(`${bad.stdout}${bad.stderr}`).toMatch(/HTTP 401: Bad credentials/);
    expect(`${bad.stdout}${bad.stderr}`).not.toContain("ghp_wrong");
  });
});
