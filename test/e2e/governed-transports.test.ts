// Governance is part of every gateway, not an add-on a transport can forget: in-process, over
// stdio and over HTTP, an agent under a packet is refused the tool its packet forbids.
import type { Client } from "@modelcontextprotocol/sdk/client/index.js";
import { afterEach, describe, expect, it } from "vitest";
import {
  httpClient,
  httpServer,
  issueToken,
  stdioClient,
  tempHome,
  textOf,
} from "../support/agov.js";
import { type AgentClient, startInProc } from "../support/inproc.js";
import { givePacket, TO_EXECUTE, walk } from "../support/runs.js";

const cleanups: Array<() => Promise<unknown>> = [];
afterEach(async () => {
  for (const c of cleanups.splice(0).reverse()) await c().catch(() => {});
});

/** The same call surface as the in-process clients, over any connected SDK client. */
function asAgent(client: Client): AgentClient {
  return {
    client,
    token: "",
    listChanged: () => 0,
    async call(name, args = {}) {
      const r = (await client.callTool({ name, arguments: args })) as {
        isError?: boolean;
        structuredContent?: Record<string, unknown>;
        _meta?: Record<string, { code?: string }>;
      };
      return {
        isError: r.isError === true,
        ...(r._meta?.["agov/error"]?.code ? { code: r._meta["agov/error"].code } : {}),
        text: textOf(r),
        data: r.structuredContent ?? {},
      };
    },
    close: () => client.close(),
  };
}

async function refusesForbidden(orch: AgentClient, agent: AgentClient, id: string) {
  await givePacket(orch, id, "t1", { constraints: { forbidden: ["message_send"] } });
  await walk(agent, TO_EXECUTE);
  const send = await agent.call("message_send", {
    task_id: "t1",
    to: "ALL",
    type: "INFO",
    body: "hi",
  });
  expect(send).toMatchObject({ isError: true, code: "FORBIDDEN_ACTION" });
  expect(send.text).toMatch(/message_send is forbidden by .*instruction packet/);
}

describe("an ungoverned gateway cannot be had", () => {
  it("refuses a packet's forbidden tool in-process", async () => {
    const env = await startInProc();
    cleanups.push(() => env.close());
    await refusesForbidden(await env.connect("orch", 3), await env.connect("worker", 1), "worker");
  });

  it("refuses a packet's forbidden tool over stdio", async () => {
    const home = tempHome();
    const orch = await stdioClient(home, await issueToken(home, "orch", 3));
    cleanups.push(orch.close);
    const worker = await stdioClient(home, await issueToken(home, "worker", 1));
    cleanups.push(worker.close);
    await refusesForbidden(asAgent(orch.client), asAgent(worker.client), "worker");
  });

  it("refuses a packet's forbidden tool over HTTP", async () => {
    const home = tempHome();
    const orchToken = await issueToken(home, "orch", 3);
    const workerToken = await issueToken(home, "worker", 1);
    const server = await httpServer(home);
    cleanups.push(server.stop);
    const orch = await httpClient(server.url, orchToken);
    cleanups.push(orch.close);
    const worker = await httpClient(server.url, workerToken);
    cleanups.push(worker.close);
    await refusesForbidden(asAgent(orch.client), asAgent(worker.client), "worker");
  });
});
