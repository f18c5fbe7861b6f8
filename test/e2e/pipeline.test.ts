// `agov pipeline` as a person uses it: the real binary on a fresh AGOV_HOME with the offline model.
// The gate holds until `agov pipeline approve`; a runner killed with SIGKILL (at the gate, or in
// the middle of an agent stage) is continued by `agov pipeline resume` without redoing stages.
import { existsSync, readFileSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { afterEach, describe, expect, it } from "vitest";
import { agov, httpClient, httpServer, issueToken, tempHome, textOf } from "../support/agov.js";
import { type AgovChild, startAgov } from "../support/agov-child.js";
import { type FakeOpenAI, startFakeOpenAI } from "../support/fake-openai.js";
import { offlineReply } from "../support/runner.js";

const children: AgovChild[] = [];
let fake: FakeOpenAI | undefined;
afterEach(async () => {
  for (const c of children.splice(0)) if (c.child.exitCode === null) c.child.kill("SIGKILL");
  await fake?.close();
  fake = undefined;
});

function start(args: string[], env: Record<string, string>) {
  const c = startAgov(args, env);
  children.push(c);
  return c;
}

async function status(home: string, run: string) {
  const r = await agov(["pipeline", "status", run, "--json"], { AGOV_HOME: home });
  expect(r.code, r.stderr).toBe(0);
  return JSON.parse(r.stdout) as {
    status: string;
    stages: Array<{ name: string; status: string; agents: string[] }>;
  };
}

/** Every ledger row's agent and action, oldest first. */
async function ledger(home: string) {
  const r = await agov(["audit", "query", "--limit", "100000", "--json"], { AGOV_HOME: home });
  expect(r.code, r.stderr).toBe(0);
  return (
    JSON.parse(r.stdout) as Array<{ agent_id: string; action: string; tool: string | null }>
  ).reverse();
}

const RUN_ID = /agov pipeline {2}run (\S+) {2}/;

describe("agov pipeline", () => {
  it("validates the seed's example, and names a broken pipeline's problem with its line", async () => {
    const home = tempHome();
    const ok = await agov(["pipeline", "validate", "infrastructure-deploy"], { AGOV_HOME: home });
    expect(ok.code, ok.stderr).toBe(0);
    expect(ok.stdout).toMatch(
      /plan: planner at T0, artifacts terraform-plan\n\s+review: human gate, timeout 30m\n\s+execute: executor at T3, requires plan/,
    );
    const bad = join(home, "bad.yaml");
    writeFileSync(
      bad,
      "pipeline:\n  name: bad\n  stages:\n    - plan: { agent: planner }\n    - review: { type: human-gate, timeout: soon }\n",
    );
    const r = await agov(["pipeline", "validate", bad], { AGOV_HOME: home });
    expect(r.code).toBe(1);
    expect(r.stderr.trim()).toBe(
      `${bad}:5: stages[1].review.timeout: expected a duration such as 90s, 30m or 1h, got "soon"`,
    );
  });

  it("runs the seed's example end to end; the gate holds until approved from the CLI", async () => {
    const home = tempHome();
    const runner = start(["pipeline", "run", "infrastructure-deploy"], { AGOV_HOME: home });
    const run = (await runner.waitFor(RUN_ID))[1]!;
    await runner.waitFor(/review +pending → waiting/);
    const held = await status(home, run);
    expect(held.status).toBe("waiting");
    expect(held.stages.map((s) => s.status)).toEqual(["succeeded", "waiting", "pending"]);
    expect(runner.child.exitCode).toBeNull();

    const approve = await agov(["pipeline", "approve", run, "review", "--reason", "ok"], {
      AGOV_HOME: home,
    });
    expect(approve.code, approve.stderr).toBe(0);
    expect(await runner.exit).toEqual({ code: 0, signal: null });
    expect(runner.stderr()).toMatch(/review +waiting → approved {2}approved by operator:cli: ok/);
    expect(runner.stderr()).toMatch(/execute +running → succeeded/);
    expect(runner.stdout()).toMatch(
      new RegExp(`^run ${run} {2}pipeline infrastructure-deploy {2}SUCCEEDED`),
    );
    expect((await agov(["audit", "verify"], { AGOV_HOME: home })).code).toBe(0);
  });

  it("stops the run when the gate is rejected from the CLI, and lists it", async () => {
    const home = tempHome();
    const runner = start(["pipeline", "run", "infrastructure-deploy"], { AGOV_HOME: home });
    const run = (await runner.waitFor(RUN_ID))[1]!;
    await runner.waitFor(/review +pending → waiting/);
    const reject = await agov(
      [
        "pipeline",
        "approve",
        run,
        "review",
        "--reject",
        "--reason",
        "not during the freeze",
        "--by",
        "alice",
      ],
      { AGOV_HOME: home },
    );
    expect(reject.code, reject.stderr).toBe(0);
    expect(await runner.exit).toEqual({ code: 1, signal: null });
    expect(runner.stdout()).toMatch(
      /REJECTED: gate review rejected by operator:alice: not during the freeze/,
    );
    expect(runner.stderr()).not.toMatch(/execute +pending → running/);
    const list = await agov(["pipeline", "status"], { AGOV_HOME: home });
    expect(list.stdout).toMatch(new RegExp(`^${run}  infrastructure-deploy  `));
  });

  it("resumes after kill -9 at the gate, without running the completed stage again", async () => {
    const home = tempHome();
    const first = start(["pipeline", "run", "infrastructure-deploy"], { AGOV_HOME: home });
    const run = (await first.waitFor(RUN_ID))[1]!;
    await first.waitFor(/review +pending → waiting/);
    first.child.kill("SIGKILL");
    expect((await first.exit).signal).toBe("SIGKILL");

    const second = start(["pipeline", "resume", run], { AGOV_HOME: home });
    await second.waitFor(RUN_ID);
    const approve = await agov(["pipeline", "approve", run, "review"], { AGOV_HOME: home });
    expect(approve.code, approve.stderr).toBe(0);
    expect(await second.exit).toEqual({ code: 0, signal: null });
    expect(second.stderr()).not.toMatch(/plan +pending → running/);

    const rows = await ledger(home);
    const starts = rows.filter(
      (r) => r.agent_id === `pipeline:${run}` && r.action.includes("pending → running"),
    );
    expect(starts.map((r) => r.action.replace(/^.*#\d+: /, "").replace(/ \(.*$/, ""))).toEqual([
      "stage plan: pending → running",
      "stage execute: pending → running",
    ]);
    const planAgents = new Set(
      rows.filter((r) => r.agent_id.startsWith(`${run}-plan`)).map((r) => r.agent_id),
    );
    expect(planAgents).toEqual(new Set([`${run}-plan-1`]));
    const boots = rows.filter(
      (r) => r.agent_id === `${run}-plan-1` && r.tool === "phase_transition",
    );
    expect(boots).toHaveLength(8); // one lifecycle, BOOTSTRAP to EXIT, not two
    expect((await status(home, run)).status).toBe("succeeded");
  });

  it("resumes after kill -9 during a command, never running a finished command again", async () => {
    const home = tempHome();
    const count = join(home, "count");
    const go = join(home, "go");
    const started = join(home, "started");
    const append = (tag: string) =>
      `[node, -e, ${JSON.stringify(`require('fs').appendFileSync(${JSON.stringify(count)}, '${tag}\\n')`)}]`;
    const file = join(home, "cmds.yaml");
    writeFileSync(
      file,
      `pipeline:
  name: cmds
  stages:
    - work:
        type: command
        tier: 4
        run:
          - ${append("a")}
          - [node, -e, ${JSON.stringify(`require('fs').writeFileSync(${JSON.stringify(started)}, '');const t=setInterval(()=>{if(require('fs').existsSync(${JSON.stringify(go)}))clearInterval(t)},20)`)}]
          - ${append("b")}
`,
    );
    const first = start(["pipeline", "run", file], { AGOV_HOME: home });
    const run = (await first.waitFor(RUN_ID))[1]!;
    await first.waitFor(/command 1 of 3 done/);
    // Killed while command 2 runs (its ledger row is written before it starts).
    for (let i = 0; i < 250 && !existsSync(started); i++)
      await new Promise((r) => setTimeout(r, 20));
    expect(existsSync(started)).toBe(true);
    first.child.kill("SIGKILL");
    expect((await first.exit).signal).toBe("SIGKILL");
    // The command it had started goes on by itself; it ends once "go" exists.
    writeFileSync(go, "");

    const second = start(["pipeline", "resume", run], { AGOV_HOME: home });
    expect(await second.exit).toEqual({ code: 0, signal: null });
    expect(second.stderr()).toMatch(/1 finished command\(s\) not run again/);
    expect(readFileSync(count, "utf8")).toBe("a\nb\n");
    const rows = await ledger(home);
    const steps = rows
      .filter((r) => r.agent_id === `${run}-work` && r.action.startsWith("command "))
      .map((r) => r.action.slice(0, 40));
    expect(steps).toHaveLength(4); // command 1 once, command 2 twice (killed, then again), 3 once
    expect((await status(home, run)).status).toBe("succeeded");
    expect((await agov(["audit", "verify"], { AGOV_HOME: home })).code).toBe(0);
  });

  it("resumes after kill -9 in the middle of an agent stage, starting only that stage over", async () => {
    const home = tempHome();
    const file = join(home, "two-stage.yaml");
    writeFileSync(
      file,
      `pipeline:
  name: two-stage
  stages:
    - plan:  { agent: planner, artifacts: [terraform-plan] }
    - apply: { agent: executor, requires: [plan], artifacts: [apply-log] }
`,
    );
    fake = await startFakeOpenAI();
    let hung!: () => void;
    const applying = new Promise<void>((resolve) => {
      hung = resolve;
    });
    // The model answers the plan stage, then never answers the apply stage: the runner is
    // killed while apply's agent waits on it.
    fake.setFallback(async (body) => {
      if (JSON.stringify(body.messages).includes('\\"stage\\": \\"apply\\"')) {
        hung();
        return "hang";
      }
      return offlineReply(body);
    });
    const first = start(["pipeline", "run", file], {
      AGOV_HOME: home,
      OPENAI_BASE_URL: fake.url,
      OPENAI_API_KEY: "test-key",
    });
    const run = (await first.waitFor(RUN_ID))[1]!;
    await applying;
    first.child.kill("SIGKILL");
    await first.exit;
    const crashed = await status(home, run);
    expect(crashed.stages.map((s) => s.status)).toEqual(["succeeded", "running"]);

    const second = start(["pipeline", "resume", run], { AGOV_HOME: home });
    expect(await second.exit).toEqual({ code: 0, signal: null });
    const done = await status(home, run);
    expect(done.status).toBe("succeeded");
    expect(done.stages[0]!.agents).toEqual([`${run}-plan-1`]);
    expect(done.stages[1]!.agents).toEqual([`${run}-apply-1`, `${run}-apply-2`]);
    const rows = await ledger(home);
    expect(rows.some((r) => r.agent_id.startsWith(`${run}-plan-2`))).toBe(false);
    expect(
      rows.some((r) =>
        r.action.includes(`runner stopped during attempt 1; ${run}-apply-1 retired`),
      ),
    ).toBe(true);
    expect(
      rows.filter((r) => r.agent_id === `${run}-plan-1` && r.tool === "phase_transition"),
    ).toHaveLength(8);
  });
});

describe("pipelines over MCP on agov serve --http", () => {
  it("runs the seed's pipeline for a T3 client, holds at the gate until a T4 approves", async () => {
    const home = tempHome();
    const server = await httpServer(home);
    const exec = await httpClient(server.url, await issueToken(home, "deployer", 3));
    const boss = await httpClient(server.url, await issueToken(home, "architect", 4));
    try {
      const started = await exec.client.callTool({
        name: "pipeline_run",
        arguments: { pipeline: "infrastructure-deploy", objective: "add a staging VPC" },
      });
      expect(started.isError, textOf(started)).toBeFalsy();
      const runId = (started.structuredContent as { run_id: string }).run_id;
      const status = async () =>
        (await exec.client.callTool({ name: "pipeline_status", arguments: { run_id: runId } }))
          .structuredContent as { status: string; stages: Array<{ name: string; status: string }> };
      await expect
        .poll(async () => (await status()).stages.find((s) => s.name === "review")?.status, {
          timeout: 20_000,
        })
        .toBe("waiting");
      expect((await status()).stages.find((s) => s.name === "execute")?.status).toBe("pending");
      const ok = await boss.client.callTool({
        name: "gate_approve",
        arguments: { run_id: runId, stage: "review" },
      });
      expect(ok.isError, textOf(ok)).toBeFalsy();
      await expect.poll(async () => (await status()).status, { timeout: 20_000 }).toBe("succeeded");
    } finally {
      await exec.close();
      await boss.close();
      await server.stop();
    }
  });
});

describe("human gates by elicitation", () => {
  it("asks a T4 caller's client at the gate and runs on with the person's answer", async () => {
    const { Client } = await import("@modelcontextprotocol/sdk/client/index.js");
    const { StdioClientTransport } = await import("@modelcontextprotocol/sdk/client/stdio.js");
    const { ElicitRequestSchema } = await import("@modelcontextprotocol/sdk/types.js");
    const { BIN, cleanEnv } = await import("../support/agov.js");
    const home = tempHome();
    const token = await issueToken(home, "architect", 4);
    const client = new Client(
      { name: "desktop", version: "1.0.0" },
      { capabilities: { elicitation: {} } },
    );
    const asked: string[] = [];
    client.setRequestHandler(ElicitRequestSchema, async (req) => {
      asked.push(req.params.message);
      return { action: "accept", content: { decision: "approve", reason: "plan looks fine" } };
    });
    await client.connect(
      new StdioClientTransport({
        command: process.execPath,
        args: [BIN, "serve"],
        env: cleanEnv({ AGOV_HOME: home, AGOV_TOKEN: token }),
      }),
    );
    try {
      const started = await client.callTool({
        name: "pipeline_run",
        arguments: { pipeline: "infrastructure-deploy", objective: "add a staging VPC" },
      });
      expect(started.isError, textOf(started)).toBeFalsy();
      const runId = (started.structuredContent as { run_id: string }).run_id;
      const status = async () =>
        (await client.callTool({ name: "pipeline_status", arguments: { run_id: runId } }))
          .structuredContent as { status: string };
      await expect.poll(async () => (await status()).status, { timeout: 30_000 }).toBe("succeeded");
      expect(asked).toEqual([`Pipeline run ${runId} waits at gate "review". Approve it?`]);
    } finally {
      await client.close();
    }
    const rows = JSON.parse(
      (await agov(["audit", "query", "--limit", "1000", "--json"], { AGOV_HOME: home })).stdout,
    ) as Array<{ agent_id: string; action: string }>;
    const decided = rows.filter((r) => r.agent_id === "architect" && /^gate /.test(r.action));
    expect(decided.map((r) => r.action)).toEqual([
      expect.stringMatching(
        /^gate approve: .*stage review \(asked in its MCP client: plan looks fine\)/,
      ),
    ]);
  });
});
