// The web console in a real browser (Debian's chromium driven by playwright-core) against the real
// `agov serve --http`: sign-in with a token, an `agov run` watched live, a pipeline gate approved
// from the page (a governed call on the ledger), and a T1 identity that sees no T4 control and
// whose forged call is refused. With AGOV_SCREENSHOTS=docs/console the views' screenshots are
// written for docs/console.md; otherwise into a temp folder that is removed.
import { type ChildProcess, spawn } from "node:child_process";
import { existsSync, mkdirSync, mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join, resolve } from "node:path";
import { type BrowserContext, chromium, type Page } from "playwright-core";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import {
  agov,
  BIN,
  cleanEnv,
  httpClient,
  httpServer,
  issueToken,
  ROOT,
  tempHome,
  textOf,
} from "../support/agov.js";

const CHROMIUM = process.env.AGOV_CHROMIUM ?? "/usr/bin/chromium";
const FLAGS = [
  "--headless",
  "--no-sandbox",
  "--disable-gpu",
  "--disable-quic",
  "--no-first-run",
  "--disable-background-networking",
  "--disable-component-update",
  "--disable-sync",
];
const hasChromium = existsSync(CHROMIUM);
const inCi = process.env.CI === "true";

// In CI a missing browser is a failure, not a skip; elsewhere the reason is printed.
if (!hasChromium && !inCi)
  console.warn(
    `console browser tests skipped: no chromium at ${CHROMIUM} (apt-get install chromium)`,
  );

describe("chromium for the console tests", () => {
  it.runIf(inCi)("is installed in CI", () => {
    expect(existsSync(CHROMIUM), `${CHROMIUM} is missing: .ci/run installs it`).toBe(true);
  });
});

describe("agov console", () => {
  it("prints the console's address of a running server, and says so when none answers", async () => {
    const home = tempHome("agov-console-cli-");
    const server = await httpServer(home);
    try {
      const base = server.url.replace(/\/mcp$/, "");
      const printed = await agov(["console", "--url", server.url, "--print"], { AGOV_HOME: home });
      expect(printed).toMatchObject({ code: 0, stdout: `${base}/console\n` });
      // No opener on PATH: the address is printed all the same, and that is not a failure.
      const bare = await agov(["console", "--url", base], { AGOV_HOME: home, PATH: home });
      expect(bare.code, bare.stderr).toBe(0);
      expect(bare.stdout).toBe(`${base}/console\n`);
      expect(bare.stderr).toMatch(/open .*\/console in a browser/);
      await server.stop();
      const gone = await agov(["console", "--url", base, "--print"], { AGOV_HOME: home });
      expect(gone.code).toBe(1);
      expect(gone.stderr).toMatch(/no agov server answers at http:\/\/127\.0\.0\.1:\d+/);
    } finally {
      await server.stop();
      rmSync(home, { recursive: true, force: true });
    }
  });
});

interface Row {
  agent_id: string;
  tool: string | null;
  decision: string;
  session_id: string | null;
  action: string;
}

describe.runIf(hasChromium)("the web console in a real browser", () => {
  const home = tempHome("agov-console-");
  const userData = mkdtempSync(join(tmpdir(), "agov-chromium-"));
  const shots = process.env.AGOV_SCREENSHOTS
    ? resolve(ROOT, process.env.AGOV_SCREENSHOTS)
    : mkdtempSync(join(tmpdir(), "agov-shots-"));
  let server: Awaited<ReturnType<typeof httpServer>>;
  let base: string;
  let context: BrowserContext;
  let t4: string;
  let t1: string;
  let t3: string;
  const children: ChildProcess[] = [];

  beforeAll(async () => {
    mkdirSync(shots, { recursive: true });
    server = await httpServer(home);
    base = server.url.replace(/\/mcp$/, "");
    [t4, t1, t3] = await Promise.all([
      issueToken(home, "architect", 4),
      issueToken(home, "watcher", 1),
      issueToken(home, "deployer", 3),
    ]);
    context = await chromium.launchPersistentContext(userData, {
      executablePath: CHROMIUM,
      headless: true,
      args: FLAGS,
      viewport: { width: 1280, height: 860 },
    });
  });

  afterAll(async () => {
    for (const c of children) if (c.exitCode === null) c.kill("SIGKILL");
    await context?.close();
    await server?.stop();
    rmSync(userData, { recursive: true, force: true });
    if (!process.env.AGOV_SCREENSHOTS) rmSync(shots, { recursive: true, force: true });
  });

  const shot = (page: Page, name: string) =>
    page.screenshot({ path: join(shots, `${name}.png`), fullPage: true });

  async function signedIn(token: string, who: string): Promise<Page> {
    const page = await context.newPage();
    await page.goto(`${base}/console`);
    await page.locator("#token").fill(token);
    await page.getByRole("button", { name: "Sign in", exact: true }).click();
    await page.locator("header .who", { hasText: who }).waitFor();
    await page.locator(".live.live").waitFor();
    return page;
  }

  async function ledger(): Promise<Row[]> {
    const r = await agov(["audit", "query", "--limit", "1000", "--json"], { AGOV_HOME: home });
    expect(r.code, r.stderr).toBe(0);
    return JSON.parse(r.stdout) as Row[];
  }

  it("refuses a bad token, signs in with a good one and shows the main views", async () => {
    const page = await context.newPage();
    const errors: string[] = [];
    page.on("pageerror", (e) => errors.push(e.message));
    page.on("console", (m) => m.type() === "error" && errors.push(m.text()));
    await page.goto(`${base}/console`);
    await page.locator("#token").fill("agov_not-a-real-token");
    await page.getByRole("button", { name: "Sign in", exact: true }).click();
    await page.getByRole("alert").waitFor();
    expect(await page.getByRole("alert").textContent()).toMatch(/UNAUTHENTICATED|token/i);
    await page.locator("#token").fill("");
    await shot(page, "signin");
    await page.locator("#token").fill(t4);
    await page.getByRole("button", { name: "Sign in", exact: true }).click();
    await page.locator("header .who", { hasText: "architect · T4 architect" }).waitFor();
    // The token is in this tab's sessionStorage, never in the address or a cookie.
    expect(page.url()).toBe(`${base}/console`);
    expect(await context.cookies()).toEqual([]);
    expect(await page.evaluate(() => sessionStorage.getItem("agov.console.token"))).toBe(t4);
    for (const tab of ["Agents & locks", "Tasks", "Pipelines", "Ledger"])
      await page.getByRole("tab", { name: tab }).waitFor();
    await page.getByRole("tab", { name: "Ledger" }).click();
    await page.locator("table.ledger td", { hasText: "whoami" }).first().waitFor();
    // The refused token's 401 is the one failed request the browser may report.
    expect(errors.filter((e) => !/status of 401/.test(e))).toEqual([]);
    await page.close();
  });

  it("signs in through agov's OAuth consent page (PKCE), with only the code in the address", async () => {
    const page = await context.newPage();
    const visited: string[] = [];
    page.on("framenavigated", (f) => f === page.mainFrame() && visited.push(f.url()));
    await page.goto(`${base}/console`);
    await page.getByRole("button", { name: "Sign in with OAuth" }).click();
    await page.waitForURL(/\/authorize\?/);
    await page.locator('input[name="token"]').fill(t1);
    await page.getByRole("button", { name: "Continue" }).click();
    await page.getByText("T1 (operator)").waitFor();
    await page.getByRole("button", { name: "Approve" }).click();
    await page.locator("header .who", { hasText: "watcher · T1 operator" }).waitFor();
    expect(page.url()).toBe(`${base}/console/`);
    const authorize = new URL(visited.find((u) => u.includes("/authorize?")) ?? "");
    expect(authorize.searchParams.get("code_challenge_method")).toBe("S256");
    // The agov token was pasted into agov's own page; the console holds an OAuth access token.
    const held = await page.evaluate(() => sessionStorage.getItem("agov.console.token"));
    expect(held).toBeTruthy();
    expect(held).not.toBe(t1);
    for (const u of visited) expect(u).not.toContain(held!);
    await page.close();
  });

  it("shows an agov run live: agents, the blackboard and ledger rows appear without a reload", async () => {
    const page = await signedIn(t4, "architect");
    await page.evaluate(() => {
      (window as unknown as { stayed: boolean }).stayed = true;
    });
    const run = spawn(
      process.execPath,
      [BIN, "run", "add a health endpoint", "--server", server.url],
      { env: cleanEnv({ AGOV_HOME: home }), stdio: ["ignore", "pipe", "pipe"] },
    );
    children.push(run);
    let out = "";
    run.stdout!.on("data", (d) => (out += d));
    run.stderr!.on("data", (d) => (out += d));
    const finished = new Promise<number>((r) => run.on("close", (code) => r(code ?? -1)));
    await page.locator('tr[data-agent^="alpha-"]').waitFor({ timeout: 30_000 });
    await page.locator('tr[data-agent^="gamma-"]').waitFor({ timeout: 30_000 });
    expect(await finished, out).toBe(0);
    // The EXIT transitions are the run's last changes: the phases end there, still unreloaded.
    await page
      .locator('tr[data-agent^="gamma-"] td', { hasText: "EXIT" })
      .waitFor({ timeout: 30_000 });
    await shot(page, "agents");
    await page.getByRole("tab", { name: "Tasks" }).click();
    await page.locator("table.blackboard td", { hasText: "consensus" }).first().waitFor();
    await page.locator("table.proposals td", { hasText: "accepted" }).first().waitFor();
    await shot(page, "tasks");
    await page.getByRole("tab", { name: "Ledger" }).click();
    await page.locator("table.ledger td", { hasText: "vote_cast" }).first().waitFor();
    await page.locator(".chain .verified", { hasText: "chain verified" }).waitFor();
    await page.getByLabel("tool filter").fill("vote_cast");
    await page.getByLabel("decision filter").selectOption("allow");
    await page.getByRole("button", { name: "Filter" }).click();
    const tools = () => page.locator("table.ledger tbody td:nth-child(5)").allTextContents();
    await expect
      .poll(async () => [...new Set(await tools())], { timeout: 10_000 })
      .toEqual(["vote_cast"]);
    await shot(page, "ledger");
    expect(await page.evaluate(() => (window as unknown as { stayed?: boolean }).stayed)).toBe(
      true,
    );
    // A revocation from the console is agent_revoke's governed call, by the signed-in architect.
    await page.getByRole("tab", { name: "Agents & locks" }).click();
    const alpha = page.locator('tr[data-agent^="alpha-"]');
    const alphaId = await alpha.getAttribute("data-agent");
    await alpha.getByRole("button", { name: "Revoke" }).click();
    await alpha.getByLabel(`reason to revoke ${alphaId}`).fill("seen misbehaving in the console");
    await alpha.getByRole("button", { name: "Confirm revoke" }).click();
    await page.getByRole("status").filter({ hasText: "agent_revoke" }).waitFor();
    const revoked = (await ledger()).filter((r) => r.tool === "agent_revoke");
    expect(revoked).toMatchObject([{ agent_id: "architect", decision: "allow" }]);
    const tokens = await agov(["token", "list", "--json"], { AGOV_HOME: home });
    const listed = JSON.parse(tokens.stdout) as Array<{ agent_id: string; status: string }>;
    const alphas = listed.filter((t) => t.agent_id === alphaId).map((t) => t.status);
    expect(alphas.length).toBeGreaterThan(0);
    expect(alphas).not.toContain("live");
    await page.close();
  });

  it("approves a waiting pipeline gate from the console, as a governed call on the ledger", async () => {
    const page = await signedIn(t4, "architect");
    await page.getByRole("tab", { name: "Pipelines" }).click();
    const exec = await httpClient(server.url, t3);
    try {
      const started = await exec.client.callTool({
        name: "pipeline_run",
        arguments: { pipeline: "infrastructure-deploy", objective: "add a staging VPC" },
      });
      expect(started.isError, textOf(started)).toBeFalsy();
      const runId = (started.structuredContent as { run_id: string }).run_id;
      const run = page.locator(`article[data-run="${runId}"]`);
      const gate = run.locator('tr[data-stage="review"]');
      await gate.getByRole("button", { name: "Approve" }).waitFor({ timeout: 30_000 });
      await shot(page, "pipelines");
      await gate.getByRole("button", { name: "Approve" }).click();
      await gate.locator("td.status", { hasText: "approved" }).waitFor({ timeout: 30_000 });
      await run.locator("h2 .status", { hasText: "succeeded" }).waitFor({ timeout: 30_000 });
      const decided = (await ledger()).filter((r) => r.tool === "gate_approve");
      expect(decided).toHaveLength(1);
      expect(decided[0]).toMatchObject({ agent_id: "architect", decision: "allow" });
      expect(decided[0]!.session_id).toMatch(/^console-[0-9a-f]{16}$/);
    } finally {
      await exec.close();
      await page.close();
    }
  });

  it("shows a T1 identity no T4 control, and refuses its forged T4 call on the ledger", async () => {
    const boss = await signedIn(t4, "architect");
    await boss.locator("tr[data-agent] button", { hasText: "Revoke" }).first().waitFor();
    await boss.close();

    const page = await signedIn(t1, "watcher · T1");
    await page.locator('tr[data-agent="watcher"]').waitFor();
    expect(await page.getByRole("button", { name: "Revoke" }).count()).toBe(0);
    expect(await page.getByRole("button", { name: "Approve promotion" }).count()).toBe(0);
    // A lock taken over MCP is seen in the console with its holder and fencing token.
    const mcp = await httpClient(server.url, t1);
    try {
      const taken = await mcp.client.callTool({
        name: "lock_acquire",
        arguments: { resource: "db-migrations", ttl_ms: 600_000 },
      });
      expect(taken.isError, textOf(taken)).toBeFalsy();
      const fence = (taken.structuredContent as { fence: number }).fence;
      await page.getByLabel("lock name").fill("db-migrations");
      await page.getByRole("button", { name: "Look up lock" }).click();
      await page.getByText(`db-migrations: held by watcher, fence ${fence}`).waitFor();
    } finally {
      await mcp.close();
    }
    await shot(page, "t1-agents");
    await page.getByRole("tab", { name: "Pipelines" }).click();
    await page.locator("article.run").first().waitFor();
    expect(await page.getByRole("button", { name: "Approve" }).count()).toBe(0);
    const forged = await page.evaluate(async () => {
      const res = await fetch("/console/api/call", {
        method: "POST",
        headers: {
          "content-type": "application/json",
          authorization: `Bearer ${sessionStorage.getItem("agov.console.token")}`,
        },
        body: JSON.stringify({
          name: "agent_revoke",
          arguments: { agent_id: "architect", reason: "forged" },
        }),
      });
      return res.json();
    });
    expect(forged.isError).toBe(true);
    expect(forged._meta["agov/error"].code).toBe("DENIED");
    const refused = (await ledger()).filter(
      (r) => r.agent_id === "watcher" && r.tool === "agent_revoke",
    );
    expect(refused).toMatchObject([{ decision: "deny" }]);
    // The architect was not revoked: its token still works.
    const still = await fetch(`${base}/console/api/call`, {
      method: "POST",
      headers: { "content-type": "application/json", authorization: `Bearer ${t4}` },
      body: JSON.stringify({ name: "whoami" }),
    });
    expect(((await still.json()) as { isError?: boolean }).isError).toBeFalsy();
    await page.close();
  });

  it("serves only its own files, under a strict policy, and only to its own origins", async () => {
    const page = await fetch(`${base}/console`);
    const csp = page.headers.get("content-security-policy") ?? "";
    expect(csp).toMatch(/default-src 'none'/);
    expect(csp).toMatch(/script-src 'self' 'sha256-[A-Za-z0-9+/=]+'(;|$)/);
    expect(csp).not.toMatch(/unsafe-inline|unsafe-eval/);
    expect((await page.text()).match(/<script(?![^>]*(src=|type="importmap"))/g)).toBeNull();
    for (const path of [
      "/console/../package.json",
      "/console/%2e%2e/package.json",
      "/console/vendor/..%2f..%2fpackage.json",
      "/console/app.js.map",
      "/console/vendor/preact.js",
    ])
      expect((await fetch(`${base}${path}`)).status, path).toBe(404);
    const vendor = await fetch(`${base}/console/vendor/hooks.mjs`);
    expect(vendor.status).toBe(200);
    expect(vendor.headers.get("content-type")).toMatch(/javascript/);
    expect(await vendor.text()).toMatch(/from\s*"preact"/);
    expect((await fetch(`${base}/console/events`)).status).toBe(401);
    const call = (headers: Record<string, string>) =>
      fetch(`${base}/console/api/call`, {
        method: "POST",
        headers: { "content-type": "application/json", ...headers },
        body: JSON.stringify({ name: "whoami" }),
      });
    expect((await call({})).status).toBe(401);
    const forged = await call({ authorization: "Bearer agov_forged-token" });
    expect(forged.status).toBe(401);
    expect(((await forged.json()) as { error: string }).error).toMatch(/^UNAUTHENTICATED: /);
    const stream = await fetch(`${base}/console/events`, {
      headers: { authorization: "Bearer agov_forged-token" },
    });
    expect(stream.status).toBe(401);
    // One agent holds at most 8 streams, so it cannot take every stream of the server.
    const streamer = await issueToken(home, "streamer", 0);
    const aborts: AbortController[] = [];
    const open = async () => {
      const ctl = new AbortController();
      aborts.push(ctl);
      const r = await fetch(`${base}/console/events`, {
        headers: { authorization: `Bearer ${streamer}` },
        signal: ctl.signal,
      });
      return r.status;
    };
    try {
      for (let i = 0; i < 8; i++) expect(await open()).toBe(200);
      expect(await open()).toBe(429);
    } finally {
      for (const ctl of aborts) ctl.abort();
    }
    expect(
      (await call({ authorization: `Bearer ${t4}`, origin: "http://evil.example" })).status,
    ).toBe(403);
    const plain = await fetch(`${base}/console/api/call`, {
      method: "POST",
      headers: { "content-type": "text/plain", authorization: `Bearer ${t4}` },
      body: JSON.stringify({ name: "whoami" }),
    });
    expect(plain.status).toBe(415);
  });
});
