// stdio transport: one session, the caller's identity from AGOV_TOKEN, checked before serving.
// A token that is not good (expired, revoked, unknown) or an authority that cannot be reached does
// not end the process before initialize, where a client shows only "Connection closed": the
// handshake completes and every request is refused with the reason and what to do.
import { Server } from "@modelcontextprotocol/sdk/server/index.js";
import { StdioServerTransport } from "@modelcontextprotocol/sdk/server/stdio.js";
import {
  CallToolRequestSchema,
  GetPromptRequestSchema,
  ListPromptsRequestSchema,
  ListToolsRequestSchema,
  McpError,
} from "@modelcontextprotocol/sdk/types.js";
import type { Logger } from "pino";
import { AgovError, toAgovError } from "../util/errors.js";
import { errorResult } from "./errors.js";
import type { Gateway } from "./gateway.js";
import { knownCaller } from "./refusals.js";
import { openMcpSession, SERVER_INFO } from "./session.js";

/** The JSON-RPC error code of a request refused because the caller is not authenticated. */
const UNAUTHORIZED = -32001;

export async function serveStdio(
  gateway: Gateway,
  token: string,
  log: Logger,
): Promise<{ closed: Promise<void>; refused?: AgovError }> {
  let server: Server;
  let refused: AgovError | undefined;
  let detach = () => {};
  try {
    const { caller } = await gateway.identify(token);
    const opened = await openMcpSession({
      gateway,
      caller,
      transport: "stdio",
      tokenFor: () => token,
    });
    ({ server, detach } = opened);
    log.info(
      { agent_id: caller.agent_id, tier: caller.tier, session: opened.id },
      "serving MCP over stdio",
    );
  } catch (err) {
    refused = toAgovError(err);
    server = refusingServer(gateway, token, refused);
  }
  const transport = new StdioServerTransport();
  const closed = new Promise<void>((resolve) => {
    server.onclose = () => {
      detach();
      resolve();
    };
  });
  await server.connect(transport);
  process.stdin.on("end", () => void server.close());
  return { closed, ...(refused ? { refused } : {}) };
}

/** What the client shows: the authority's reason and the command that gets a working token. */
export function stdioRefusal(e: AgovError): string {
  const who = knownCaller(e);
  const issue = who
    ? `agov token issue --agent ${who.agent_id} --tier ${who.tier ?? "<0-4>"}`
    : "agov token issue --agent <id> --tier <0-4>";
  const then =
    "put it in AGOV_TOKEN in this client's MCP server configuration and restart the server";
  switch (e.code) {
    case "EXPIRED":
    case "REVOKED":
    case "UNAUTHENTICATED":
      return `agov refuses this session: ${e.message}${
        e.code === "UNAUTHENTICATED"
          ? " (tokens are known only to the AGOV_HOME, or Vault, that issued them)"
          : ""
      }. Get a new token with \`${issue}\`, ${then}.`;
    default:
      return `agov refuses this session: ${e.code}: ${e.message}. Restart the server once this is fixed.`;
  }
}

/**
 * A session that completes the handshake and refuses everything with the reason. A tools/call
 * still goes through the governed path, so it is refused there and audited like any refusal.
 */
function refusingServer(gateway: Gateway, token: string, e: AgovError): Server {
  const reason = stdioRefusal(e);
  const server = new Server(SERVER_INFO, {
    capabilities: { tools: {}, prompts: {} },
    instructions: reason,
  });
  const refuse = async () => {
    throw new McpError(UNAUTHORIZED, reason, { code: e.code });
  };
  server.setRequestHandler(ListToolsRequestSchema, refuse);
  server.setRequestHandler(ListPromptsRequestSchema, refuse);
  server.setRequestHandler(GetPromptRequestSchema, refuse);
  server.setRequestHandler(CallToolRequestSchema, async (req) => {
    const v = server.getClientVersion();
    const result = await gateway.call(
      token,
      { id: gateway.runtime.ids.next(), ...(v ? { client: `${v.name}/${v.version}` } : {}) },
      req.params.name,
      req.params.arguments,
    );
    // The call was refused and recorded there; the answer carries what to do about it.
    const code = (result._meta?.["agov/error"] as { code?: string } | undefined)?.code;
    return code === e.code ? errorResult(new AgovError(e.code, reason, e.details)) : result;
  });
  return server;
}
