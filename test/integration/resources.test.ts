// MCP resources, subscriptions, governance log messages and completions, in process, on the
// embedded SQLite store and on a real redis-server: each read is the equivalent tool's governed
// call (refused and recorded alike), and updates arrive as notifications driven by state events.
import { mkdirSync, mkdtempSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import type { Client } from "@modelcontextprotocol/sdk/client/index.js";
import {
  LoggingMessageNotificationSchema,
  ResourceUpdatedNotificationSchema,
} from "@modelcontextprotocol/sdk/types.js";
import { afterAll, afterEach, beforeAll, describe, expect, it } from "vitest";
import type { Config } from "../../src/config/index.js";
import { manualClock } from "../../src/util/clock.js";
import type { AgentClient, InProc } from "../support/inproc.js";
import { startInProc } from "../support/inproc.js";
import { startPipelines } from "../support/pipelines.js";
import { type RedisServer, redisAvailable, startRedis } from "../support/redis-server.js";
import { givePacket, walk } from "../support/runs.js";

/** Collects notifications of one kind; `next` waits for the first not yet taken. */
function inbox<T>(client: Client, schema: typeof ResourceUpdatedNotificationSchema): Inbox<T>;
function inbox<T>(client: Client, schema: typeof LoggingMessageNotificationSchema): Inbox<T>;
function inbox<T>(
  client: Client,
  schema: typeof ResourceUpdatedNotificationSchema | typeof LoggingMessageNotificationSchema,
): Inbox<T> {
  const got: T[] = [];
  const waiting: Array<(v: T) => void> = [];
  client.setNotificationHandler(schema as typeof ResourceUpdatedNotificationSchema, async (n) => {
    const v = n.params as T;
    const w = waiting.shift();
    if (w) w(v);
    else got.push(v);
  });
  return {
    next: () =>
      got.length ? Promise.resolve(got.shift()!) : new Promise<T>((r) => waiting.push(r)),
    taken: () => got.length,
  };
}
interface Inbox<T> {
  next(): Promise<T>;
  taken(): number;
}

const read = async (a: AgentClient, uri: string) => {
  const r = await a.client.readResource({ uri });
  const c = r.contents[0] as { uri: string; mimeType?: string; text: string };
  expect(c.mimeType).toBe("application/json");
  return JSON.parse(c.text) as Record<string, unknown>;
};

let env: InProc;
afterEach(async () => env?.close());

describe("resources on the embedded store", () => {
  it("lists the ledger tail only to T4, and refuses a T1 read of it on the record", async () => {
    env = await startInProc();
    const t1 = await env.connect("worker", 1);
    const t4 = await env.connect("architect", 4);
    const names = async (a: AgentClient) =>
      (await a.client.listResources()).resources.map((r) => r.uri);
    expect(await names(t1)).not.toContain("agov://ledger/tail");
    expect(await names(t4)).toContain("agov://ledger/tail");
    const templates = (await t1.client.listResourceTemplates()).resourceTemplates.map(
      (t) => t.uriTemplate,
    );
    expect(templates).toContain("agov://tasks/{task_id}/blackboard/{section}");
    expect(templates).toContain("agov://tasks/{task_id}/spawn-conditions");

    await expect(t1.client.readResource({ uri: "agov://ledger/tail" })).rejects.toThrow(
      /resources\/read agov:\/\/ledger\/tail refused: requires tier T4 .*worker is T1/,
    );
    const denied = await env.rt.ledger.query({ agent_id: "worker", decision: "deny" });
    expect(denied.map((r) => r.action)).toContain("resources/read agov://ledger/tail");

    const tail = await read(t4, "agov://ledger/tail");
    const rows = tail.rows as Array<{ agent_id: string }>;
    expect(rows.map((r) => r.agent_id)).toContain("worker");
    const allowed = await env.rt.ledger.query({ agent_id: "architect", tool: "audit_query" });
    expect(allowed.map((r) => r.action)).toContain("resources/read agov://ledger/tail");
  });

  it("refuses a URI that names no resource, with a clear error on the record", async () => {
    env = await startInProc();
    const a = await env.connect("a", 2);
    const err = await a.client.readResource({ uri: "agov://secrets/all" }).catch((e) => e);
    expect((err as Error).message).toBe(
      "MCP error -32002: no resource agov://secrets/all; resources/templates/list names the agov:// resources",
    );
    const rows = await env.rt.ledger.query({ agent_id: "a", decision: "deny" });
    expect(rows.map((r) => r.action)).toContain("resources/read agov://secrets/all");
  });

  it("refuses a read the equivalent tool refuses (bad section) naming the field", async () => {
    env = await startInProc();
    const a = await env.connect("a", 2);
    await expect(
      a.client.readResource({ uri: "agov://tasks/t/blackboard/secrets" }),
    ).rejects.toThrow(/invalid arguments for blackboard_read: section/);
  });

  it("reads another's packet never: agov://agents/me/packet is the caller's own", async () => {
    env = await startInProc();
    const orch = await env.connect("orch", 3);
    await givePacket(orch, "alpha", "t1");
    const alpha = await env.connect("alpha", 2);
    const beta = await env.connect("beta", 2);
    expect(await read(alpha, "agov://agents/me/packet")).toMatchObject({
      agent_id: "alpha",
      task_id: "t1",
    });
    await expect(beta.client.readResource({ uri: "agov://agents/me/packet" })).rejects.toThrow(
      /no instruction packet for beta/,
    );
  });

  it("bounds how many subscriptions one session holds", async () => {
    env = await startInProc();
    const a = await env.connect("a", 2);
    for (let i = 0; i < 100; i++)
      await a.client.subscribeResource({ uri: `agov://tasks/t${i}/blackboard` });
    await expect(a.client.subscribeResource({ uri: "agov://tasks/x/blackboard" })).rejects.toThrow(
      /already holds 100 subscriptions/,
    );
  });
});

describe("governance log messages", () => {
  type Log = { level: string; data: { event: string; resource?: string; message: string } };

  it("warns a session when a lock its agent took expires, and not for one it released", async () => {
    const clock = manualClock();
    env = await startInProc({ clock });
    const a = await env.connect("alpha", 1);
    const logs = inbox<Log>(a.client, LoggingMessageNotificationSchema);
    await a.client.setLoggingLevel("warning");
    const take = async (resource: string) => {
      const r = await a.call("lock_acquire", { resource, ttl_ms: 1000 });
      expect(r.isError, r.text).toBe(false);
      return r.data.lease_id as string;
    };
    const released = await take("released");
    await take("kept");
    const rel = await a.call("lock_release", { resource: "released", lease_id: released });
    expect(rel.isError, rel.text).toBe(false);
    clock.advance(1000);
    const first = await logs.next();
    expect(first).toMatchObject({
      level: "warning",
      data: { event: "lock_expired", resource: "kept" },
    });
    expect(first.data.message).toMatch(
      /the lock "kept" held by alpha expired at 2026-01-01T00:00:01.000Z/,
    );
  });

  it("follows a lease refreshed before it ran out to its new expiry", async () => {
    const clock = manualClock();
    env = await startInProc({ clock });
    const a = await env.connect("alpha", 1);
    const logs = inbox<Log>(a.client, LoggingMessageNotificationSchema);
    const took = await a.call("lock_acquire", { resource: "db", ttl_ms: 1000 });
    clock.advance(900);
    const again = await a.call("lock_refresh", {
      resource: "db",
      lease_id: took.data.lease_id,
      ttl_ms: 1000,
    });
    expect(again.isError, again.text).toBe(false);
    clock.advance(100); // the first expiry passes: the lease lives on
    // Published after the first expiry passed: had the session warned then, it would come first.
    await env.rt.state.events.publish({ type: "tier_changed", agent_id: "alpha", tier: 1 });
    expect((await logs.next()).data.event).toBe("tier_changed");
    clock.advance(900);
    expect((await logs.next()).data).toMatchObject({ event: "lock_expired", resource: "db" });
  });

  it("tells an assigned agent that its pipeline stage is waiting for it", async () => {
    const penv = await startPipelines({ wait: "real" });
    env = penv;
    const exec = await penv.connect("exec-1", 3);
    const builder = await penv.connect("builder-1", 2);
    const logs = inbox<Log & { data: { stage?: string } }>(
      builder.client,
      LoggingMessageNotificationSchema,
    );
    await builder.client.setLoggingLevel("notice");
    const started = await exec.call("pipeline_run", {
      source:
        "pipeline:\n  name: assigned\n  stages:\n    - build: { agent: BETA, artifacts: [image] }\n",
      assign: { build: "builder-1" },
    });
    expect(started.isError, started.text).toBe(false);
    const log = await logs.next();
    expect(log).toMatchObject({
      level: "notice",
      data: { event: "stage_waiting", stage: "build" },
    });
    expect(log.data.message).toMatch(/waiting for builder-1: take it with stage_run/);
  });
});

describe("a revoked agent's session", () => {
  it("loses its subscriptions: no update follows the revocation", async () => {
    env = await startInProc();
    const alpha = await env.connect("alpha", 1);
    const beta = await env.connect("beta", 1);
    const arch = await env.connect("arch", 4);
    const seen: string[] = [];
    const waiting = new Map<string, () => void>();
    const logged = (event: string) => new Promise<void>((r) => waiting.set(event, r));
    alpha.client.setNotificationHandler(ResourceUpdatedNotificationSchema, async (n) => {
      seen.push(`updated ${n.params.uri}`);
    });
    alpha.client.setNotificationHandler(LoggingMessageNotificationSchema, async (n) => {
      const event = (n.params.data as { event: string }).event;
      seen.push(`log ${event}`);
      waiting.get(event)?.();
    });
    const uri = "agov://tasks/t/messages";
    await alpha.client.subscribeResource({ uri });
    const send = () =>
      beta.call("message_send", { task_id: "t", to: "alpha", type: "INFO", body: {} });
    const first = logged("message");
    expect((await send()).isError).toBe(false);
    await first;
    expect(seen).toEqual([`updated ${uri}`, "log message"]);
    const revoked = logged("revoked");
    const r = await arch.call("agent_revoke", { agent_id: "alpha", reason: "test" });
    expect(r.isError, r.text).toBe(false);
    await revoked;
    seen.length = 0;
    // Each event's update goes out before its log message, on the one ordered stream.
    const second = logged("message");
    expect((await send()).isError).toBe(false);
    await second;
    expect(seen).toEqual(["log message"]);
  });
});

describe("a waiting human gate", () => {
  it("is announced to the sessions of agents whose tier decides gates, not to others", async () => {
    const penv = await startPipelines({ wait: "real" });
    env = penv;
    const lead = await penv.connect("lead", 3);
    const arch = await penv.connect("arch", 4);
    type Log = { level: string; data: { event: string; stage?: string; message: string } };
    const archLogs = inbox<Log>(arch.client, LoggingMessageNotificationSchema);
    const leadLogs = inbox<Log>(lead.client, LoggingMessageNotificationSchema);
    const started = await lead.call("pipeline_run", {
      source:
        "pipeline:\n  name: gated\n  stages:\n    - approve: { type: human-gate, timeout: 1h }\n",
    });
    expect(started.isError, started.text).toBe(false);
    const log = await archLogs.next();
    expect(log).toMatchObject({
      level: "notice",
      data: { event: "gate_waiting", stage: "approve" },
    });
    expect(log.data.message).toMatch(/is waiting for a decision: gate_approve/);
    // The T3 lead is not told: its first log message is the one sent to it afterwards.
    await penv.rt.state.events.publish({ type: "tier_changed", agent_id: "lead", tier: 3 });
    expect((await leadLogs.next()).data.event).toBe("tier_changed");
  });
});

describe("completions", () => {
  it("offers a caller its own task, the agents on its roster and the blackboard sections", async () => {
    env = await startInProc();
    const orch = await env.connect("orch", 3);
    await givePacket(orch, "alpha", "design-1");
    const alpha = await env.connect("alpha", 2);
    await walk(alpha, ["BOOTSTRAP"]);
    const complete = async (a: AgentClient, ref: object, name: string, value: string) =>
      (
        await a.client.complete({
          ref: ref as { type: "ref/prompt"; name: string },
          argument: { name, value },
        })
      ).completion.values;
    const tmpl = { type: "ref/resource", uri: "agov://tasks/{task_id}/blackboard/{section}" };
    expect(await complete(alpha, tmpl, "task_id", "des")).toEqual(["design-1"]);
    expect(await complete(alpha, tmpl, "task_id", "zzz")).toEqual([]);
    expect(await complete(alpha, tmpl, "section", "p")).toEqual(["problem", "progress"]);
    const prompt = { type: "ref/prompt", name: "terraform-specialist" };
    expect(await complete(alpha, prompt, "agent_id", "")).toEqual(["alpha"]);
    // A caller without a packet has no task to be offered; the lookups are on its record.
    expect(await complete(orch, tmpl, "task_id", "")).toEqual([]);
    const rows = await env.rt.ledger.query({ agent_id: "alpha", tool: "packet_get" });
    expect(rows.some((r) => r.action.startsWith("completion/complete task_id of resource"))).toBe(
      true,
    );
  });

  it("filters templates and completions by the caller's grants, as its tools are", async () => {
    // An operator's policy denies pipeline_status to one agent (as `deny` in Vault would).
    const home = mkdtempSync(join(tmpdir(), "agov-grants-"));
    mkdirSync(join(home, "policies"));
    writeFileSync(
      join(home, "policies", "agent-nosy.hcl"),
      'path "governance/tools/pipeline_status" {\n  capabilities = ["deny"]\n}\n',
    );
    env = await startInProc({}, { home });
    await env.rt.state.pipelineRuns.index({ run_id: "run-1", pipeline: "p", created_at: 1 });
    const nosy = await env.connect("nosy", 1);
    const peer = await env.connect("peer", 1);
    const tools = (await nosy.client.listTools()).tools.map((t) => t.name);
    expect(tools).not.toContain("pipeline_status");
    const templates = async (a: AgentClient) =>
      (await a.client.listResourceTemplates()).resourceTemplates.map((t) => t.uriTemplate);
    expect(await templates(nosy)).not.toContain("agov://pipelines/runs/{run_id}");
    expect(await templates(peer)).toContain("agov://pipelines/runs/{run_id}");
    const ref = { type: "ref/resource" as const, uri: "agov://pipelines/runs/{run_id}" };
    const runs = async (a: AgentClient) =>
      (await a.client.complete({ ref, argument: { name: "run_id", value: "" } })).completion.values;
    expect(await runs(peer)).toEqual(["run-1"]);
    expect(await runs(nosy)).toEqual([]);
    await expect(nosy.client.readResource({ uri: "agov://pipelines/runs" })).rejects.toThrow(
      /denied by policy on governance\/tools\/pipeline_status for agent nosy/,
    );
  });

  it("offers pipeline runs through the governed pipeline_status, none to a revoked caller", async () => {
    env = await startInProc();
    const exec = await env.connect("exec", 3);
    // A run as the pipeline engine indexes it when it starts.
    const runId = "run-abc";
    await env.rt.state.pipelineRuns.index({ run_id: runId, pipeline: "p", created_at: 1 });
    const ref = { type: "ref/resource" as const, uri: "agov://pipelines/runs/{run_id}" };
    const got = await exec.client.complete({ ref, argument: { name: "run_id", value: "" } });
    expect(got.completion.values).toContain(runId);
    const revoked = await env.connect("gone", 3);
    await env.rt.authority.revokeAgent("gone");
    const none = await revoked.client.complete({ ref, argument: { name: "run_id", value: "" } });
    expect(none.completion.values).toEqual([]);
  });

  it("describes the bundled pipelines, and completes a pipeline's name", async () => {
    env = await startInProc();
    const dev = await env.connect("dev", 1);
    const ref = { type: "ref/resource" as const, uri: "agov://pipelines/defs/{pipeline}" };
    const got = await dev.client.complete({ ref, argument: { name: "pipeline", value: "infra" } });
    expect(got.completion.values).toEqual(["infrastructure-deploy"]);
    const read = await dev.client.readResource({ uri: "agov://pipelines/defs/code-change" });
    const def = JSON.parse((read.contents[0] as { text: string }).text) as {
      stages: Array<{ name: string; kind: string; tier: number | null; commands?: string[] }>;
    };
    expect(def.stages.find((s) => s.name === "checks")).toMatchObject({
      kind: "command",
      tier: 2,
      commands: ["npm test", "npm run lint"],
    });
    const listed = await dev.call("pipeline_describe", {});
    expect(listed.data.pipelines).toEqual(
      expect.arrayContaining(["code-change", "infrastructure-deploy", "ansible-rollout"]),
    );
    expect((await dev.call("pipeline_describe", { pipeline: "nope" })).code).toBe("NOT_FOUND");
  });
});

for (const store of ["sqlite", "redis"] as const) {
  describe.runIf(store === "sqlite" || redisAvailable())(`subscriptions on ${store}`, () => {
    let redis: RedisServer | undefined;
    let config: Partial<Config> = {};
    beforeAll(async () => {
      if (store !== "redis") return;
      redis = await startRedis();
      config = { state: "redis", redis_url: redis.url };
    });
    afterAll(async () => redis?.stop());

    it("sends resources/updated for a subscribed blackboard section and not for another", async () => {
      env = await startInProc({}, config);
      const alpha = await env.connect("alpha", 2);
      const beta = await env.connect("beta", 2);
      const updates = inbox<{ uri: string }>(beta.client, ResourceUpdatedNotificationSchema);
      const uri = "agov://tasks/t%2F1/blackboard/problem";
      await beta.client.subscribeResource({ uri });
      await alpha.call("blackboard_post", {
        task_id: "t/1",
        section: "progress",
        key: "k",
        value: 1,
        expected_version: 0,
      });
      await alpha.call("blackboard_post", {
        task_id: "t/1",
        section: "problem",
        key: "k",
        value: 2,
        expected_version: 0,
      });
      // The first update is the problem post's: the progress post made none.
      expect(await updates.next()).toEqual({ uri });
      const board = await read(beta, uri);
      expect(board.entries).toMatchObject([{ section: "problem", key: "k", value: 2 }]);

      await beta.client.unsubscribeResource({ uri });
      await beta.client.subscribeResource({ uri: "agov://tasks/t%2F1/blackboard" });
      await alpha.call("blackboard_post", {
        task_id: "t/1",
        section: "problem",
        key: "k2",
        value: 3,
        expected_version: 0,
      });
      expect(await updates.next()).toEqual({ uri: "agov://tasks/t%2F1/blackboard" });
    });

    it("tells only the addressee of a message, and everyone but the sender of a broadcast", async () => {
      env = await startInProc({}, config);
      const alpha = await env.connect("alpha", 2);
      const beta = await env.connect("beta", 2);
      const gamma = await env.connect("gamma", 2);
      const uri = "agov://tasks/t/messages";
      const forBeta = inbox<{ uri: string }>(beta.client, ResourceUpdatedNotificationSchema);
      const forGamma = inbox<{ uri: string }>(gamma.client, ResourceUpdatedNotificationSchema);
      const forAlpha = inbox<{ uri: string }>(alpha.client, ResourceUpdatedNotificationSchema);
      for (const a of [alpha, beta, gamma]) await a.client.subscribeResource({ uri });
      const send = (to: string) =>
        alpha.call("message_send", { task_id: "t", to, type: "INFO", body: { to } });
      expect((await send("beta")).isError).toBe(false);
      expect(await forBeta.next()).toEqual({ uri });
      expect((await send("ALL")).isError).toBe(false);
      expect(await forBeta.next()).toEqual({ uri });
      expect(await forGamma.next()).toEqual({ uri });
      // gamma's first update was the broadcast: it was not told of beta's message. Its inbox holds
      // exactly that broadcast.
      expect(forGamma.taken()).toBe(0);
      const msgs = (await read(gamma, uri)).messages as Array<{ to: string }>;
      expect(msgs.map((m) => m.to)).toEqual(["ALL"]);
      // The sender hears of its own broadcast only through others' replies.
      expect(
        (await beta.call("message_send", { task_id: "t", to: "alpha", type: "INFO", body: {} }))
          .isError,
      ).toBe(false);
      expect(await forAlpha.next()).toEqual({ uri });
      expect(forAlpha.taken()).toBe(0);
    });

    it("updates a task's spawn conditions on a phase transition and a vote", async () => {
      env = await startInProc({}, config);
      const orch = await env.connect("orch", 3);
      await givePacket(orch, "alpha", "t");
      const alpha = await env.connect("alpha", 2);
      const updates = inbox<{ uri: string }>(orch.client, ResourceUpdatedNotificationSchema);
      const uri = "agov://tasks/t/spawn-conditions";
      await orch.client.subscribeResource({ uri });
      await walk(alpha, ["BOOTSTRAP"]);
      expect(await updates.next()).toEqual({ uri });
      const sc = await read(orch, uri);
      expect(sc.roster).toMatchObject({ alpha: { phase: "BOOTSTRAP" } });
      const stuck = (sc.conditions as Array<{ condition: string; stale_in_ms?: number }>)[0];
      expect(stuck?.condition).toBe("STUCK");
      expect(stuck?.stale_in_ms).toBeGreaterThan(0);
      expect(stuck?.stale_in_ms).toBeLessThanOrEqual(30_000);
    });

    it("tells a session its agent was revoked, at or above the level it set", async () => {
      env = await startInProc({}, config);
      const a = await env.connect("alpha", 2);
      const logs = inbox<{ level: string; data: { event: string; message: string } }>(
        a.client,
        LoggingMessageNotificationSchema,
      );
      await a.client.setLoggingLevel("error");
      const arch = await env.connect("arch", 4);
      // A tier change is a notice: below "error", so it is not sent; the revocation is.
      await env.rt.authority.setTier("alpha", 3);
      await env.rt.state.events.publish({ type: "tier_changed", agent_id: "alpha", tier: 3 });
      const r = await arch.call("agent_revoke", { agent_id: "alpha", reason: "test" });
      expect(r.isError, r.text).toBe(false);
      const first = await logs.next();
      expect(first.level).toBe("error");
      expect(first.data.event).toBe("revoked");
      expect(first.data.message).toMatch(/agent alpha was revoked/);

      const b = await env.connect("beta", 2);
      const blogs = inbox<{ level: string; data: { event: string } }>(
        b.client,
        LoggingMessageNotificationSchema,
      );
      await b.client.setLoggingLevel("debug");
      await env.rt.state.events.publish({ type: "tier_changed", agent_id: "beta", tier: 1 });
      expect(await blogs.next()).toMatchObject({
        level: "notice",
        data: { event: "tier_changed" },
      });
    });
  });
}
