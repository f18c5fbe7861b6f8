// One MCP server per connection (the SDK's Server cannot be connected twice), built on the
// low-level Server so tools/list and tools/call are ours: the list is computed from the caller's
// grants and every call goes through the gateway's governed path.
import { Server } from "@modelcontextprotocol/sdk/server/index.js";
import { CallToolRequestSchema, ListToolsRequestSchema } from "@modelcontextprotocol/sdk/types.js";
import type { Elicit } from "../../tools/define.js";
import { AgovError } from "../util/errors.js";
import type { Gateway, Identity } from "./gateway.js";
import { registerPrompts } from "./prompts.js";

export const SERVER_INFO = { name: "agov", version: "0.1.0" };

export interface McpSessionOptions {
  gateway: Gateway;
  id: string;
  /** Where the caller's token comes from: fixed (stdio) or the request's bearer token (HTTP). */
  tokenFor(extra: { authInfo?: { token: string } | undefined }): string | undefined;
}

/**
 * A session of one agent: the MCP server for its connection, attached to the gateway so that a
 * revocation or tier change reaches it. `detach` when the connection ends (server.onclose).
 */
export function openMcpSession(opts: {
  gateway: Gateway;
  agent_id: string;
  tokenFor: McpSessionOptions["tokenFor"];
}): { id: string; server: Server; detach: () => void } {
  const id = opts.gateway.runtime.ids.next();
  const server = createMcpSession({ gateway: opts.gateway, id, tokenFor: opts.tokenFor });
  const detach = opts.gateway.attach({
    id,
    agent_id: opts.agent_id,
    notifyToolsChanged: () => server.sendToolListChanged(),
  });
  return { id, server, detach };
}

function createMcpSession({ gateway, id, tokenFor }: McpSessionOptions): Server {
  const server = new Server(SERVER_INFO, {
    capabilities: { tools: { listChanged: true }, prompts: {} },
    instructions:
      "agov governs what you may do: the tools listed are exactly those your trust tier allows. Every call is audited. Call whoami to see your tier and grants.",
  });
  const client = () => {
    const v = server.getClientVersion();
    return v ? `${v.name}/${v.version}` : undefined;
  };
  const token = (extra: { authInfo?: { token: string } | undefined }) => {
    const t = tokenFor(extra);
    if (!t)
      throw new AgovError(
        "UNAUTHENTICATED",
        "no token: set AGOV_TOKEN or send Authorization: Bearer <token>",
      );
    return t;
  };

  registerPrompts(server);
  server.setRequestHandler(ListToolsRequestSchema, async (_req, extra) => ({
    tools: await gateway.listTools(token(extra)),
  }));
  server.setRequestHandler(CallToolRequestSchema, async (req, extra) => {
    const c = client();
    // Over HTTP the bearer check resolved this caller for this very request; reuse it.
    const resolved = (extra.authInfo?.extra as { identity?: Identity } | undefined)?.identity;
    const elicit: Elicit | undefined = server.getClientCapabilities()?.elicitation
      ? async (q) => {
          const r = await server.elicitInput(
            { message: q.message, requestedSchema: q.requestedSchema as never },
            q.timeoutMs ? { timeout: q.timeoutMs } : undefined,
          );
          return { action: r.action, ...(r.content ? { content: r.content } : {}) };
        }
      : undefined;
    return gateway.call(
      token(extra),
      { id, ...(c ? { client: c } : {}), ...(elicit ? { elicit } : {}) },
      req.params.name,
      req.params.arguments,
      resolved,
    );
  });
  return server;
}
