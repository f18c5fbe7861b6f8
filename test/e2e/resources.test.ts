// Resources, subscriptions, log messages and completions as a real MCP client meets them: the
// agov binary over stdio (one process per agent, sharing the embedded store) and over Streamable
// HTTP, driven by the MCP SDK client.
import type { Client } from "@modelcontextprotocol/sdk/client/index.js";
import {
  LoggingMessageNotificationSchema,
  ResourceUpdatedNotificationSchema,
} from "@modelcontextprotocol/sdk/types.js";
import { describe, expect, it } from "vitest";
import { httpClient, httpServer, issueToken, stdioClient, tempHome } from "../support/agov.js";

/** The first notification of a kind that arrives after this call. */
function first<T>(
  client: Client,
  schema: typeof ResourceUpdatedNotificationSchema | typeof LoggingMessageNotificationSchema,
): Promise<T> {
  return new Promise((resolve) => {
    client.setNotificationHandler(schema as typeof ResourceUpdatedNotificationSchema, async (n) =>
      resolve(n.params as T),
    );
  });
}

const post = (c: Client, section: string, key: string) =>
  c.callTool({
    name: "blackboard_post",
    arguments: { task_id: "t", section, key, value: { key }, expected_version: 0 },
  });

describe("resources over stdio", () => {
  it("tells one agent's client of another's post, across processes, and reads it", async () => {
    const home = tempHome();
    const alpha = await stdioClient(home, await issueToken(home, "alpha", 1));
    const beta = await stdioClient(home, await issueToken(home, "beta", 1));
    try {
      const uri = "agov://tasks/t/blackboard/problem";
      const updated = first<{ uri: string }>(beta.client, ResourceUpdatedNotificationSchema);
      await beta.client.subscribeResource({ uri });
      expect((await post(alpha.client, "progress", "other")).isError).toBeFalsy();
      expect((await post(alpha.client, "problem", "goal")).isError).toBeFalsy();
      expect(await updated).toEqual({ uri });
      const read = await beta.client.readResource({ uri });
      const board = JSON.parse((read.contents[0] as { text: string }).text);
      expect(board.entries).toMatchObject([{ key: "goal", author: "alpha" }]);
    } finally {
      await alpha.close();
      await beta.close();
    }
  });

  it("keeps the ledger tail from a T1 caller and shows it to T4", async () => {
    const home = tempHome();
    const t1 = await stdioClient(home, await issueToken(home, "worker", 1));
    const t4 = await stdioClient(home, await issueToken(home, "architect", 4));
    try {
      const uris = async (c: Client) => (await c.listResources()).resources.map((r) => r.uri);
      expect(await uris(t1.client)).not.toContain("agov://ledger/tail");
      await expect(t1.client.readResource({ uri: "agov://ledger/tail" })).rejects.toThrow(
        /requires tier T4/,
      );
      expect(await uris(t4.client)).toContain("agov://ledger/tail");
      const tail = await t4.client.readResource({ uri: "agov://ledger/tail" });
      const rows = JSON.parse((tail.contents[0] as { text: string }).text).rows as Array<{
        agent_id: string;
        action: string;
      }>;
      expect(rows).toContainEqual(
        expect.objectContaining({
          agent_id: "worker",
          action: "resources/read agov://ledger/tail",
        }),
      );
      expect(t1.stderr()).not.toMatch(/at .*\.js:\d+/);
    } finally {
      await t1.close();
      await t4.close();
    }
  });

  it("sends a revoked agent's client the news at its log level, below it nothing", async () => {
    const home = tempHome();
    const alpha = await stdioClient(home, await issueToken(home, "alpha", 1));
    const beta = await stdioClient(home, await issueToken(home, "beta", 1));
    const arch = await stdioClient(home, await issueToken(home, "arch", 4));
    try {
      await alpha.client.setLoggingLevel("error");
      const log = first<{ level: string; logger: string; data: { event: string } }>(
        alpha.client,
        LoggingMessageNotificationSchema,
      );
      // A message for alpha is an info log: below "error", so the first alpha hears is revoked.
      const sent = await beta.client.callTool({
        name: "message_send",
        arguments: { task_id: "t", to: "alpha", type: "INFO", body: { hi: 1 } },
      });
      expect(sent.isError).toBeFalsy();
      const r = await arch.client.callTool({
        name: "agent_revoke",
        arguments: { agent_id: "alpha", reason: "e2e" },
      });
      expect(r.isError).toBeFalsy();
      expect(await log).toMatchObject({
        level: "error",
        logger: "agov",
        data: { event: "revoked" },
      });
    } finally {
      await alpha.close();
      await beta.close();
      await arch.close();
    }
  });

  it("completes a resource template's section and the caller's own task", async () => {
    const home = tempHome();
    const orch = await stdioClient(home, await issueToken(home, "orch", 3));
    const alpha = await stdioClient(home, await issueToken(home, "alpha", 1));
    try {
      const made = await orch.client.callTool({
        name: "packet_create",
        arguments: { agent_id: "alpha", task_id: "vpc-7", objective: "add a VPC" },
      });
      expect(made.isError).toBeFalsy();
      const ref = {
        type: "ref/resource" as const,
        uri: "agov://tasks/{task_id}/blackboard/{section}",
      };
      const task = await alpha.client.complete({ ref, argument: { name: "task_id", value: "v" } });
      expect(task.completion.values).toEqual(["vpc-7"]);
      const none = await orch.client.complete({ ref, argument: { name: "task_id", value: "" } });
      expect(none.completion.values).toEqual([]);
      const sec = await alpha.client.complete({ ref, argument: { name: "section", value: "c" } });
      expect(sec.completion.values).toEqual(["consensus"]);
      // What the conformance suite's completion-complete sends: a prompt agov does not have.
      const other = await alpha.client.complete({
        ref: { type: "ref/prompt", name: "test_prompt_with_arguments" },
        argument: { name: "arg1", value: "par" },
      });
      expect(other.completion).toEqual({ values: [], total: 0, hasMore: false });
    } finally {
      await orch.close();
      await alpha.close();
    }
  });
});

describe("resources over Streamable HTTP", () => {
  it("delivers resources/updated on the session's stream and refuses T1 the ledger tail", async () => {
    const home = tempHome();
    const server = await httpServer(home);
    const alphaToken = await issueToken(home, "alpha", 1);
    const betaToken = await issueToken(home, "beta", 1);
    const alpha = await httpClient(server.url, alphaToken);
    const beta = await httpClient(server.url, betaToken);
    try {
      const uri = "agov://tasks/t/messages";
      const updated = first<{ uri: string }>(beta.client, ResourceUpdatedNotificationSchema);
      await beta.client.subscribeResource({ uri });
      const sent = await alpha.client.callTool({
        name: "message_send",
        arguments: { task_id: "t", to: "beta", type: "INFO", body: { n: 1 } },
      });
      expect(sent.isError).toBeFalsy();
      expect(await updated).toEqual({ uri });
      const read = await beta.client.readResource({ uri });
      const inbox = JSON.parse((read.contents[0] as { text: string }).text);
      expect(inbox.messages).toMatchObject([{ from: "alpha", to: "beta", body: { n: 1 } }]);

      await expect(alpha.client.readResource({ uri: "agov://ledger/tail" })).rejects.toThrow(
        /requires tier T4/,
      );
      const templates = (await alpha.client.listResourceTemplates()).resourceTemplates;
      expect(templates.map((t) => t.uriTemplate)).toContain("agov://tasks/{task_id}/messages");
    } finally {
      await alpha.close();
      await beta.close();
      await server.stop();
    }
  });
});
