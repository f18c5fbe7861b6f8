// Command stages: each command is granted by policy to its stage's tier (checked before anything
// runs), on the ledger before it starts and with its outcome after, its output an artifact of the
// stage; a finished command never runs again when the run is resumed.
import { existsSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { Client } from "@modelcontextprotocol/sdk/client/index.js";
import { afterEach, describe, expect, it } from "vitest";
import { createPipelines, type Pipelines } from "../../src/pipeline/index.js";
import { connectInMemory } from "../../src/server/memory.js";
import { type PipelineEnv, ROOT, startPipelines } from "../support/pipelines.js";

let env: PipelineEnv;
let other: Pipelines | undefined;
const dirs: string[] = [];
afterEach(async () => {
  other?.close();
  await env?.close();
  for (const d of dirs.splice(0)) rmSync(d, { recursive: true, force: true });
});

const tempDir = () => {
  const d = mkdtempSync(join(tmpdir(), "agov-cmd-"));
  dirs.push(d);
  return d;
};
const yamlString = (s: string) => JSON.stringify(s);

/** A pipeline service that only validates documents (nothing it would run is given). */
const validator = () =>
  createPipelines({
    state: {} as never,
    ledger: {} as never,
    governance: {} as never,
    authority: {} as never,
    clock: { now: () => 0 } as never,
    ids: {} as never,
    dirs: { pipelines: [], templates: [join(ROOT, "templates")] },
  });

const FORTY_TWO = (tier: number) => `pipeline:
  name: answer
  stages:
    - compute:
        type: command
        tier: ${tier}
        run:
          - [node, -e, "console.log(42)"]
`;

async function commandRows() {
  return env.rt.ledger.query({ kind: "command", newest_first: false, limit: 100 });
}

describe("command stages", () => {
  it("runs a command, keeps its output as the stage's artifact, with a ledger row for it", async () => {
    env = await startPipelines({ agents: false });
    const record = await env.run(FORTY_TWO(4));
    expect(record.status, record.reason ?? "").toBe("succeeded");
    const stage = record.stages.compute!;
    expect(stage.artifacts).toEqual(["compute-output"]);
    const art = await env.rt.state.artifacts.get(stage.task_id, "compute-output");
    expect(art?.content).toMatchObject({
      argv: ["node", "-e", "console.log(42)"],
      exit_code: 0,
      stdout: "42\n",
      truncated: false,
    });
    const rows = await commandRows();
    expect(rows).toHaveLength(1);
    expect(rows[0]).toMatchObject({
      kind: "command",
      decision: "allow",
      tier: 4,
      tool: "node",
      success: 1,
      action: "command node -e console.log(42)",
    });
    expect(JSON.parse(rows[0]!.detail!)).toMatchObject({ stage: "compute", step: 1 });
  });

  it("refuses before anything runs when the stage's tier may not run the command", async () => {
    env = await startPipelines({ agents: false });
    await expect(env.run(FORTY_TWO(2))).rejects.toMatchObject({
      code: "DENIED",
      message: expect.stringMatching(/stage compute runs `node -e console\.log\(42\)`.*T2/),
    });
    expect(await commandRows()).toEqual([]);
    expect(await env.service.list()).toEqual([]);
  });

  it("refuses a command stage above its MCP starter's tier", async () => {
    env = await startPipelines({ agents: false });
    await expect(
      env.service.start({
        text: FORTY_TWO(4),
        file: "t.yaml",
        started_by: "t3-agent",
        max_tier: 3,
      }),
    ).rejects.toMatchObject({ code: "DENIED", message: expect.stringMatching(/above t3-agent/) });
  });

  it("records a failing command's exit code, fails the stage, and keeps its output", async () => {
    env = await startPipelines({ agents: false });
    const record = await env.run(`pipeline:
  name: failing
  stages:
    - check:
        type: command
        tier: 4
        run:
          - [node, -e, "console.error('broken'); process.exit(3)"]
    - after: { type: command, tier: 4, run: [[node, -e, "1"]] }
`);
    expect(record.status).toBe("failed");
    expect(record.stages.check!.reason).toMatch(/exited with 3/);
    expect(record.stages.after!.status).toBe("pending");
    const art = await env.rt.state.artifacts.get(record.stages.check!.task_id, "check-output");
    expect(art?.content).toMatchObject({ exit_code: 3, stderr: "broken\n" });
    const [row] = await commandRows();
    expect(row).toMatchObject({ success: 0, error_type: "FAILED" });
  });

  it("keeps the head of a long output, with its full size", async () => {
    env = await startPipelines({ agents: false });
    const record = await env.run(`pipeline:
  name: chatty
  stages:
    - talk:
        type: command
        tier: 4
        run:
          - { argv: [node, -e, "process.stdout.write('x'.repeat(5000))"], max_output: 1024, artifact: talk-log }
`);
    expect(record.status).toBe("succeeded");
    const art = await env.rt.state.artifacts.get(record.stages.talk!.task_id, "talk-log");
    const content = art?.content as { stdout: string; stdout_bytes: number; truncated: boolean };
    expect(content.stdout).toHaveLength(1024);
    expect(content.stdout_bytes).toBe(5000);
    expect(content.truncated).toBe(true);
  });

  it("passes only the allowed environment", async () => {
    env = await startPipelines({ agents: false });
    process.env.PIPELINE_TEST_SECRET = "s3cret";
    process.env.PIPELINE_TEST_ALLOWED = "fine";
    try {
      const record = await env.run(`pipeline:
  name: envs
  stages:
    - show:
        type: command
        tier: 4
        run:
          - argv: [node, -e, "console.log(process.env.PIPELINE_TEST_SECRET ?? '-', process.env.PIPELINE_TEST_ALLOWED ?? '-')"]
            env: [PIPELINE_TEST_ALLOWED]
`);
      const art = await env.rt.state.artifacts.get(record.stages.show!.task_id, "show-output");
      expect(art?.content).toMatchObject({ stdout: "- fine\n" });
    } finally {
      delete process.env.PIPELINE_TEST_SECRET;
      delete process.env.PIPELINE_TEST_ALLOWED;
    }
  });

  it("never runs a finished command again when the run is resumed after its runner stopped", async () => {
    const dir = tempDir();
    const count = join(dir, "count");
    const gate = join(dir, "go");
    env = await startPipelines({ agents: false });
    const append = (tag: string) =>
      `[node, -e, ${yamlString(`require('fs').appendFileSync(${JSON.stringify(count)}, '${tag}\\n')`)}]`;
    const text = `pipeline:
  name: resumable
  stages:
    - work:
        type: command
        tier: 4
        run:
          - ${append("a")}
          - [node, -e, ${yamlString(`const f=${JSON.stringify(gate)};const t=setInterval(()=>{if(require('fs').existsSync(f)){clearInterval(t)}},20)`)}]
          - ${append("b")}
`;
    const { record } = await env.service.start({ text, file: "t.yaml", started_by: "test" });
    await env.waitFor(
      (e) => e.type === "stage" && e.stage === "work" && e.to === "running" && e.attempt === 1,
    );
    // Wait for the first command's checkpoint, then stop this runner during the second command.
    for (let i = 0; i < 200 && !existsSync(count); i++) await new Promise((r) => setTimeout(r, 20));
    for (let i = 0; i < 200; i++) {
      const now = await env.service.status(record.run_id);
      if ((now?.stages.work?.steps ?? []).length === 1) break;
      await new Promise((r) => setTimeout(r, 20));
    }
    env.service.close();
    const stopped = await env.service.status(record.run_id);
    expect(stopped?.stages.work?.steps).toHaveLength(1);

    other = createPipelines({
      state: env.rt.state,
      ledger: env.rt.ledger,
      governance: env.rt.governance,
      authority: env.rt.authority,
      clock: env.clock,
      ids: env.rt.ids,
      dirs: { pipelines: [], templates: [join(ROOT, "templates")] },
      pid: 99_999,
      alive: () => false,
      sleep: async () => {},
    });
    writeFileSync(gate, "");
    // The stopped runner released its lock when it stopped; the run goes on from command 2.
    const resumed = await (await other.resume(record.run_id, "test")).done;
    expect(resumed.status, resumed.reason ?? "").toBe("succeeded");
    expect(readFileSync(count, "utf8")).toBe("a\nb\n");
    expect(resumed.stages.work!.steps).toHaveLength(3);
    const rows = await commandRows();
    // Command 1 once; command 2 twice (stopped, then run again); command 3 once.
    expect(rows.map((r) => JSON.parse(r.detail!).step)).toEqual([1, 2, 2, 3]);
  });

  it("gives a later stage an earlier stage's artifact by name in its objective", async () => {
    env = await startPipelines({ agents: false });
    let seen = "";
    env.service.executors.swap("review", async (task) => {
      seen = task.objective;
      return { ok: true };
    });
    const record = await env.run(`pipeline:
  name: handover
  stages:
    - plan: { type: command, tier: 4, run: [[node, -e, "console.log('plan: add 3 nodes')"]] }
    - review:
        agent: reviewer
        requires: [plan]
        objective: "Review this plan: \${stages.plan.artifacts.plan-output}"
`);
    expect(record.status, record.reason ?? "").toBe("succeeded");
    expect(seen).toMatch(/^Review this plan: plan: add 3 nodes\n/);
    const packet = await env.rt.governance.getPacket(record.stages.review!.agents[0]!);
    expect(packet?.objective).toMatch(/^Review this plan: plan: add 3 nodes/);
  });

  it("lets a later stage's agent read an earlier stage's artifact with artifact_read, and nothing else", async () => {
    env = await startPipelines({ agents: false });
    const outsider = await env.connect("outsider", 2);
    let read: { own?: unknown; earlier?: unknown; other?: unknown } = {};
    env.service.executors.swap("review", async (task) => {
      const conn = await connectInMemory(env.gateway, task.token);
      const client = new Client({ name: "stage", version: "0" });
      await client.connect(conn.transport);
      const call = async (args: Record<string, unknown>) => {
        const r = (await client.callTool({ name: "artifact_read", arguments: args })) as {
          isError?: boolean;
          structuredContent?: Record<string, unknown>;
          _meta?: Record<string, { code?: string }>;
        };
        return r.isError ? r._meta?.["agov/error"]?.code : r.structuredContent;
      };
      await client.callTool({ name: "phase_transition", arguments: { phase: "BOOTSTRAP" } });
      read = {
        earlier: await call({ name: "plan-output", task_id: `${task.run_id}/plan` }),
        other: await call({ name: "plan-output", task_id: "someone-else" }),
      };
      await client.close();
      return { ok: true };
    });
    const record = await env.run(`pipeline:
  name: reader
  stages:
    - plan: { type: command, tier: 4, run: [[node, -e, "console.log('three nodes')"]] }
    - review: { agent: reviewer, requires: [plan] }
`);
    expect(record.status, record.reason ?? "").toBe("succeeded");
    expect(read.earlier).toMatchObject({
      name: "plan-output",
      kind: "command-output",
      content: { stdout: "three nodes\n", exit_code: 0 },
    });
    expect(read.other).toBe("DENIED");
    // Someone with no run and below T3 reads no stage's artifacts.
    const r = await outsider.call("artifact_read", {
      name: "plan-output",
      task_id: record.stages.plan!.task_id,
    });
    expect(r).toMatchObject({ isError: true, code: "DENIED" });
  });

  it("refuses an artifact reference to a stage the reader does not require", () => {
    env = undefined as unknown as PipelineEnv;
    const svc = validator();
    const ref = (stage: string) => `\${stages.${stage}.artifacts.x}`;
    const doc = (objective: string) => `pipeline:
  name: refs
  stages:
    - plan: { type: command, run: [[npm, test]] }
    - review: { agent: reviewer, objective: "${objective}" }
`;
    expect(() => svc.validate(doc(`see ${ref("plan")}`), "t.yaml")).toThrow(/add plan to requires/);
    expect(() => svc.validate(doc(`see ${ref("plna")}`), "t.yaml")).toThrow(
      /unknown stage "plna".*did you mean "plan"/,
    );
  });

  it("runs the bundled terraform-deploy up to a clear failure where terraform is not installed", async () => {
    env = await startPipelines({ agents: false });
    const { text, file } = env.service.byName("terraform-deploy");
    const path = process.env.PATH;
    process.env.PATH = "/nonexistent";
    let record: Awaited<ReturnType<PipelineEnv["run"]>>;
    try {
      record = await (await env.service.start({ text, file, started_by: "test" })).done;
    } finally {
      process.env.PATH = path;
    }
    expect(record.status).toBe("failed");
    expect(record.stages.plan!.reason).toBe(
      "terraform init -input=false: could not start: terraform is not installed here (not found on PATH)",
    );
    expect(record.stages.review!.status).toBe("pending");
    expect(record.stages.apply!.status).toBe("pending");
    const rows = await commandRows();
    expect(rows.map((r) => [r.action, r.error_type])).toEqual([
      ["command terraform init -input=false", "FAILED"],
    ]);
  });

  it("validates command steps, naming the field", () => {
    const bad = (stage: string) => `pipeline:\n  name: bad\n  stages:\n    - s: ${stage}\n`;
    env = undefined as unknown as PipelineEnv;
    const svc = validator();
    expect(() => svc.validate(bad("{ type: command, run: [] }"), "t.yaml")).toThrow(/run/);
    expect(() =>
      svc.validate(bad("{ type: command, run: [[ls]], shell: true }"), "t.yaml"),
    ).toThrow(/shell/);
    expect(() =>
      svc.validate(bad("{ type: command, run: [{ argv: [a, b], shell: true }] }"), "t.yaml"),
    ).toThrow(/with shell: true, argv is one string/);
    // A pipeline's author cannot read agov's own credentials back from a command's output.
    for (const name of [
      "VAULT_TOKEN",
      "GITHUB_TOKEN",
      "AGOV_TOKEN",
      "openai_api_key",
      "REDIS_URL",
      "OTEL_EXPORTER_OTLP_HEADERS",
    ])
      expect(() =>
        svc.validate(bad(`{ type: command, run: [{ argv: [env], env: [${name}] }] }`), "t.yaml"),
      ).toThrow(/agov's own credentials and settings/);
    expect(() =>
      svc.validate(bad("{ type: command, run: [{ argv: [env], env: [AWS_REGION] }] }"), "t.yaml"),
    ).not.toThrow();
    expect(() => svc.validate(bad("{ type: command, run: [[ls]], tier: 9 }"), "t.yaml")).toThrow(
      /tier/,
    );
  });
});
