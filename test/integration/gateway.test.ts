// The governed call path when the audit ledger cannot be written: nothing happens unrecorded.
import { afterEach, describe, expect, it } from "vitest";
import { createGateway } from "../../src/server/gateway.js";
import { TOOLS } from "../../tools/index.js";
import { type InProc, startInProc } from "../support/inproc.js";

describe("governed call without a writable ledger", () => {
  let env: InProc;
  afterEach(async () => env?.close());

  it("refuses a change before it runs and withholds a read, then recovers", async () => {
    env = await startInProc();
    const alpha = await env.connect("alpha", 1);
    const ledger = env.rt.ledger;
    const real = { begin: ledger.begin, record: ledger.record };
    const broken = () => Promise.reject(new Error("disk I/O error"));
    ledger.begin = broken;
    ledger.record = broken;

    const take = await alpha.call("lock_acquire", { resource: "db", ttl_ms: 5000 });
    expect(take).toMatchObject({ isError: true, code: "UNAVAILABLE" });
    expect(take.text).toMatch(/audit ledger cannot be written.*nothing was done/);
    expect(await env.rt.state.locks.status("db")).toBeNull();

    const look = await alpha.call("lock_status", { resource: "db" });
    expect(look).toMatchObject({ isError: true, code: "UNAVAILABLE" });
    expect(look.text).toMatch(/result was withheld/);

    Object.assign(ledger, real);
    const again = await alpha.call("lock_acquire", { resource: "db", ttl_ms: 5000 });
    expect(again.isError).toBe(false);
    expect(again.data).toMatchObject({ resource: "db", holder: "alpha", fence: 1 });
    expect(await ledger.query({ agent_id: "alpha", tool: "lock_acquire" })).toHaveLength(1);
    expect((await ledger.verify()).ok).toBe(true);
  });
});

describe("agent templates as MCP prompts", () => {
  let env: InProc;
  afterEach(async () => env?.close());

  it("lists the seed's three specialists and fills one in as a packet packet_create accepts", async () => {
    env = await startInProc();
    const orch = await env.connect("orch", 3);
    const { prompts } = await orch.client.listPrompts();
    expect(prompts.map((p) => p.name)).toEqual([
      "terraform-specialist",
      "ansible-specialist",
      "code-review-specialist",
    ]);
    const got = await orch.client.getPrompt({
      name: "terraform-specialist",
      arguments: { objective: "add a staging VPC", agent_id: "tf-1", task_id: "vpc" },
    });
    const text = (got.messages[0]!.content as { text: string }).text;
    const packet = JSON.parse(text.slice(text.indexOf("{")));
    expect(packet).toMatchObject({
      agent_id: "tf-1",
      task_id: "vpc",
      objective: "Terraform: add a staging VPC",
      deliverables: ["terraform-plan", "risk-assessment"],
    });
    const created = await orch.call("packet_create", packet);
    expect(created.isError, created.text).toBe(false);
  });

  it("names the missing argument and the unknown prompt", async () => {
    env = await startInProc();
    const a = await env.connect("a", 0);
    await expect(a.client.getPrompt({ name: "ansible-specialist", arguments: {} })).rejects.toThrow(
      /arguments\.objective: required/,
    );
    await expect(a.client.getPrompt({ name: "nope", arguments: {} })).rejects.toThrow(
      /unknown prompt "nope"/,
    );
  });

  it("says an unknown prompt's error code once", async () => {
    env = await startInProc();
    const a = await env.connect("a", 0);
    const err = await a.client.getPrompt({ name: "nope", arguments: {} }).catch((e: Error) => e);
    expect(err).toBeInstanceOf(Error);
    expect((err as Error).message).toBe(
      `MCP error -32602: unknown prompt "nope"; prompts/list names terraform-specialist, ansible-specialist, code-review-specialist`,
    );
  });
});

describe("tool outputs", () => {
  let env: InProc;
  afterEach(async () => env?.close());

  it("lists an output schema with each tool and answers with structured content that fits it", async () => {
    env = await startInProc();
    const a = await env.connect("alpha", 1);
    const tools = (await a.client.listTools()).tools;
    expect(tools.every((t) => t.outputSchema?.type === "object")).toBe(true);
    // The SDK client checks structuredContent against the listed outputSchema itself.
    const r = await a.client.callTool({
      name: "lock_acquire",
      arguments: { resource: "db", ttl_ms: 5000 },
    });
    expect(r.isError).toBeFalsy();
    const lease = r.structuredContent as { expires_at: string; fence: number };
    expect(lease.expires_at).toMatch(/^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d\.\d{3}Z$/);
    expect(typeof lease.fence).toBe("number");
  });

  it("refuses a result that does not fit its output schema, as a server bug on the record", async () => {
    env = await startInProc();
    // whoami, broken: its answer lacks what its output schema promises.
    const broken = TOOLS.map((t) =>
      t.name === "whoami" ? { ...t, handler: async () => ({ agent_id: 7 }) } : t,
    );
    const gateway = createGateway(env.rt, broken);
    const { token } = await env.rt.authority.issue({ agent_id: "w", tier: 0, ttl_ms: 60_000 });
    const r = await gateway.call(token, { id: "s1" }, "whoami", {});
    expect(r.isError).toBe(true);
    expect(r._meta?.["agov/error"]).toMatchObject({ code: "INTERNAL" });
    expect((r.content as Array<{ text: string }>)[0]?.text).toMatch(
      /^INTERNAL: whoami failed: its result does not match its output schema \(agent_id: .*\); this is a bug in agov/,
    );
    expect(r.structuredContent).toBeUndefined();
    const rows = await env.rt.ledger.query({ agent_id: "w", tool: "whoami" });
    expect(rows).toMatchObject([{ success: 0, error_type: "INTERNAL" }]);
    gateway.close();
  });
});
