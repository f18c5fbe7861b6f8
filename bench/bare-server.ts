// The baseline: an ungoverned server on the bare MCP SDK with a tool equivalent to agov's
// lock_status (same zod input, same state store read) and heartbeat (one state write), over stdio or Streamable HTTP.
import { randomUUID } from "node:crypto";
import { createServer } from "node:http";
import type { AddressInfo } from "node:net";
import { McpServer } from "@modelcontextprotocol/sdk/server/mcp.js";
import { StdioServerTransport } from "@modelcontextprotocol/sdk/server/stdio.js";
import { StreamableHTTPServerTransport } from "@modelcontextprotocol/sdk/server/streamableHttp.js";
import { z } from "zod";
import type { StateStore } from "../src/state/index.js";

export function createBareServer(state: StateStore): McpServer {
  const server = new McpServer({ name: "bare", version: "0.0.0" });
  server.registerTool(
    "lock_status",
    {
      description: "Whether a named lock is held.",
      inputSchema: { resource: z.string().min(1).max(200) },
    },
    async ({ resource }) => {
      const lease = await state.locks.status(resource);
      return {
        content: [{ type: "text", text: JSON.stringify({ resource, held: lease !== null }) }],
        structuredContent: { resource, held: lease !== null },
      };
    },
  );
  server.registerTool(
    "heartbeat",
    { description: "Tell the server you are alive.", inputSchema: {} },
    async () => {
      await state.agents.heartbeat("bench", 30_000);
      return { content: [{ type: "text", text: '{"ok":true}' }], structuredContent: { ok: true } };
    },
  );
  return server;
}

async function main(): Promise<void> {
  const { createSqliteState } = await import("../src/state/sqlite.js");
  const { randomIds, systemClock } = await import("../src/util/clock.js");
  const [mode, dir] = process.argv.slice(2);
  const state = createSqliteState({ home: dir!, clock: systemClock, ids: randomIds });
  if (mode === "stdio") {
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
