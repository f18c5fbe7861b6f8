// The baseline: an ungoverned server on the bare MCP SDK doing the same state work as agov's tools
// (the tools' own zod inputs, the same StateStore calls: the blackboard read, the post and its
// event, the lock acquire, the holder check and release), plus a no-op. Over stdio or HTTP when
// run as a script: `tsx bench/bare-server.ts stdio|http <home> [redis-url]`.
import { randomUUID } from "node:crypto";
import { createServer } from "node:http";
import type { AddressInfo } from "node:net";
import { McpServer } from "@modelcontextprotocol/sdk/server/mcp.js";
import { StdioServerTransport } from "@modelcontextprotocol/sdk/server/stdio.js";
import { StreamableHTTPServerTransport } from "@modelcontextprotocol/sdk/server/streamableHttp.js";
import type { CallToolResult } from "@modelcontextprotocol/sdk/types.js";
import { z } from "zod";
import type { StateStore } from "../src/state/index.js";
import { blackboardPost } from "../tools/blackboard/post.js";
import { blackboardRead } from "../tools/blackboard/read.js";
import { lockAcquire } from "../tools/locks/acquire.js";
import { lockRelease } from "../tools/locks/release.js";

const AUTHOR = "bare";

const ok = (value: Record<string, unknown>): CallToolResult => ({
  content: [{ type: "text", text: JSON.stringify(value) }],
  structuredContent: value,
});

export function createBareServer(state: StateStore): McpServer {
  const server = new McpServer({ name: "bare", version: "0.0.0" });
  server.registerTool("noop", { description: "Does nothing.", inputSchema: z.object({}) }, () =>
    ok({ ok: true }),
  );
  server.registerTool(
    "blackboard_read",
    { description: blackboardRead.description, inputSchema: blackboardRead.input },
    async ({ task_id, section }) =>
      ok({ task_id, entries: await state.blackboard.read(task_id, section) }),
  );
  server.registerTool(
    "blackboard_post",
    { description: blackboardPost.description, inputSchema: blackboardPost.input },
    async (input) => {
      const entry = await state.blackboard.post({ ...input, author: AUTHOR });
      await state.events.publish({
        type: "blackboard",
        task_id: input.task_id,
        section: input.section,
        key: input.key,
      });
      return ok({ ...entry });
    },
  );
  server.registerTool(
    "lock_acquire",
    { description: lockAcquire.description, inputSchema: lockAcquire.input },
    async ({ resource, ttl_ms }) => {
      const { acquired, ...lease } = await state.locks.acquire(resource, AUTHOR, ttl_ms);
      if (!acquired) throw new Error(`lock ${resource} is held`);
      return ok({ ...lease });
    },
  );
  server.registerTool(
    "lock_release",
    { description: lockRelease.description, inputSchema: lockRelease.input },
    async ({ resource, lease_id }) => {
      // agov checks the holder before releasing; so does the baseline.
      const lease = await state.locks.status(resource);
      if (lease && lease.lease_id === lease_id && lease.holder !== AUTHOR)
        throw new Error(`lock ${resource} is not ours`);
      await state.locks.release(resource, lease_id);
      return ok({ released: true, resource });
    },
  );
  return server;
}

async function main(): Promise<void> {
  const { createSqliteState } = await import("../src/state/sqlite.js");
  const { randomIds, systemClock } = await import("../src/util/clock.js");
  const [mode, dir, redisUrl] = process.argv.slice(2);
  const state = redisUrl
    ? await (await import("../src/state/redis.js")).createRedisState({
        url: redisUrl,
        clock: systemClock,
        ids: randomIds,
      })
    : createSqliteState({ home: dir!, clock: systemClock, ids: randomIds });
  if (mode === "stdio") {
    // Each answer waiting on a full pipe holds one drain listener: as many as calls in flight.
    process.stdout.setMaxListeners(1_000);
    await createBareServer(state).connect(new StdioServerTransport());
    return;
  }
  const transports = new Map<string, StreamableHTTPServerTransport>();
  const http = createServer(async (req, res) => {
    const chunks: Buffer[] = [];
    for await (const c of req) chunks.push(c as Buffer);
    const body = chunks.length ? JSON.parse(Buffer.concat(chunks).toString()) : undefined;
    const sid = req.headers["mcp-session-id"] as string | undefined;
    let transport = sid ? transports.get(sid) : undefined;
    if (!transport) {
      const t: StreamableHTTPServerTransport = new StreamableHTTPServerTransport({
        sessionIdGenerator: randomUUID,
        onsessioninitialized: (id: string) => {
          transports.set(id, t);
        },
      });
      await createBareServer(state).connect(t);
      transport = t;
    }
    await transport.handleRequest(req, res, body);
  });
  http.listen(0, "127.0.0.1", () => {
    const { port } = http.address() as AddressInfo;
    process.stderr.write(`bare: listening on http://127.0.0.1:${port}/mcp\n`);
  });
}

if (process.argv[1]?.endsWith("bare-server.ts")) void main();
