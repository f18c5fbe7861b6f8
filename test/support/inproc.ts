// An agov gateway in this process on a temp AGOV_HOME, with clients over the in-memory transport:
// the real server code path without a child process, for scenario tests that need many calls.
import { mkdtempSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { Client } from "@modelcontextprotocol/sdk/client/index.js";
import { ToolListChangedNotificationSchema } from "@modelcontextprotocol/sdk/types.js";
import { type Config, defaults } from "../../src/config/index.js";
import { createRuntime, type Runtime, type RuntimeOptions } from "../../src/runtime.js";
import { createGateway, type Gateway } from "../../src/server/gateway.js";
import { connectInMemory } from "../../src/server/memory.js";
import { TOOLS } from "../../tools/index.js";

export interface InProc {
  rt: Runtime;
  gateway: Gateway;
  /** Issues a token and connects a client as that agent. */
  connect(agent: string, tier: number): Promise<AgentClient>;
  close(): Promise<void>;
}

export interface AgentClient {
  client: Client;
  token: string;
  /** How many tools/list_changed notifications this session has received. */
  listChanged(): number;
  call(name: string, args?: Record<string, unknown>): Promise<CallResult>;
  close(): Promise<void>;
}

export interface CallResult {
  isError: boolean;
  code?: string;
  text: string;
  data: Record<string, unknown>;
}

export async function startInProc(
  opts: RuntimeOptions = {},
  config: Partial<Config> = {},
): Promise<InProc> {
  const home = mkdtempSync(join(tmpdir(), "agov-inproc-"));
  const rt = await createRuntime({ ...defaults(home), home, log_level: "silent", ...config }, opts);
  const gateway = createGateway(rt, TOOLS);
  const clients: AgentClient[] = [];
  return {
    rt,
    gateway,
    async connect(agent, tier) {
      const { token } = await rt.authority.issue({
        agent_id: agent,
        tier: tier as 0,
        ttl_ms: 3_600_000,
      });
      const conn = await connectInMemory(gateway, token);
      const client = new Client({ name: `test-${agent}`, version: "1.0.0" });
      let changed = 0;
      client.setNotificationHandler(ToolListChangedNotificationSchema, async () => {
        changed++;
      });
      await client.connect(conn.transport);
      const ac: AgentClient = {
        client,
        token,
        listChanged: () => changed,
        async call(name, args = {}) {
          const r = (await client.callTool({ name, arguments: args })) as {
            isError?: boolean;
            content?: Array<{ text?: string }>;
            structuredContent?: Record<string, unknown>;
            _meta?: Record<string, { code?: string }>;
          };
          return {
            isError: r.isError === true,
            ...(r._meta?.["agov/error"]?.code ? { code: r._meta["agov/error"].code } : {}),
            text: (r.content ?? []).map((c) => c.text ?? "").join("\n"),
            data: r.structuredContent ?? {},
          };
        },
        close: () => client.close(),
      };
      clients.push(ac);
      return ac;
    },
    async close() {
      await Promise.allSettled(clients.map((c) => c.close()));
      gateway.close();
      await rt.close();
    },
  };
}
