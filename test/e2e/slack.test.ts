// Slack notices as a person sets them up: AGOV_SLACK_WEBHOOK_URL pointing at a local HTTP server
// standing in for Slack's incoming webhook, the real binary running the seed's pipeline.
import { createServer, type IncomingMessage, type Server } from "node:http";
import type { AddressInfo } from "node:net";
import { afterEach, describe, expect, it } from "vitest";
import { agov, tempHome } from "../support/agov.js";
import { type AgovChild, startAgov } from "../support/agov-child.js";

const children: AgovChild[] = [];
const servers: Server[] = [];
afterEach(async () => {
  for (const c of children.splice(0)) if (c.child.exitCode === null) c.child.kill("SIGKILL");
  for (const s of servers.splice(0)) await new Promise((r) => s.close(r));
});

interface Hook {
  url: string;
  posts: Array<{ path: string; body: { text: string; blocks: unknown[] } }>;
  /** Resolves when `n` posts have arrived. */
  until(n: number): Promise<void>;
}

async function webhook(status = 200): Promise<Hook> {
  const posts: Hook["posts"] = [];
  const waiting: Array<{ n: number; resolve: () => void }> = [];
  const server = createServer(async (req: IncomingMessage, res) => {
    let text = "";
    for await (const chunk of req) text += chunk;
    posts.push({ path: req.url ?? "", body: JSON.parse(text) });
    for (const w of waiting.filter((x) => posts.length >= x.n)) w.resolve();
    res.writeHead(status, { "content-type": "text/plain" }).end(status === 200 ? "ok" : "no");
  });
  servers.push(server);
  await new Promise<void>((r) => server.listen(0, "127.0.0.1", r));
  const { port } = server.address() as AddressInfo;
  return {
    url: `http://127.0.0.1:${port}/services/T000/B000/secret-part`,
    posts,
    until: (n) =>
      posts.length >= n
        ? Promise.resolve()
        : new Promise((resolve) => waiting.push({ n, resolve })),
  };
}

const RUN_ID = /agov pipeline {2}run (\S+) {2}/;

describe("Slack notices", () => {
  it("posts one message naming the run and the gate while a pipeline waits, and its end", async () => {
    const hook = await webhook();
    const home = tempHome();
    const runner = startAgov(["pipeline", "run", "infrastructure-deploy"], {
      AGOV_HOME: home,
      AGOV_SLACK_WEBHOOK_URL: hook.url,
    });
    children.push(runner);
    const run = (await runner.waitFor(RUN_ID))[1]!;
    await runner.waitFor(/review +pending → waiting/);
    await hook.until(1);
    expect(hook.posts).toHaveLength(1);
    const gate = hook.posts[0]!;
    expect(gate.path).toBe("/services/T000/B000/secret-part");
    expect(gate.body.text).toBe(`Pipeline infrastructure-deploy: run ${run} waits at gate review`);
    expect(JSON.stringify(gate.body.blocks)).toContain(`agov pipeline approve ${run} review`);
    expect(JSON.stringify(gate.body)).not.toMatch(/agov_[A-Za-z0-9]{20,}/);

    const approve = await agov(["pipeline", "approve", run, "review"], { AGOV_HOME: home });
    expect(approve.code, approve.stderr).toBe(0);
    expect(await runner.exit).toEqual({ code: 0, signal: null });
    expect(hook.posts.map((p) => p.body.text)).toEqual([
      `Pipeline infrastructure-deploy: run ${run} waits at gate review`,
      `Pipeline infrastructure-deploy: run ${run} succeeded`,
    ]);
  });

  it("finishes the pipeline with the webhook down, saying once what was dropped", async () => {
    const hook = await webhook(500);
    const home = tempHome();
    const runner = startAgov(["pipeline", "run", "infrastructure-deploy"], {
      AGOV_HOME: home,
      AGOV_SLACK_WEBHOOK_URL: hook.url,
    });
    children.push(runner);
    const run = (await runner.waitFor(RUN_ID))[1]!;
    await runner.waitFor(/review +pending → waiting/);
    const approve = await agov(["pipeline", "approve", run, "review"], { AGOV_HOME: home });
    expect(approve.code, approve.stderr).toBe(0);
    expect(await runner.exit).toEqual({ code: 0, signal: null });
    expect(runner.stdout()).toMatch(/SUCCEEDED/);
    expect(runner.stderr()).toMatch(
      /slack: dropped a gate_waiting notice after \d attempt\(s\) to 127\.0\.0\.1:\d+: HTTP 500/,
    );
    // The webhook's path is its secret: never logged.
    expect(runner.stderr()).not.toContain("secret-part");
  });
});
