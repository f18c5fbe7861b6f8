// stdio transport: one session, the caller's identity from AGOV_TOKEN, checked before serving.
import { StdioServerTransport } from "@modelcontextprotocol/sdk/server/stdio.js";
import type { Logger } from "pino";
import type { Gateway } from "./gateway.js";
import { openMcpSession } from "./session.js";

export async function serveStdio(
  gateway: Gateway,
  token: string,
  log: Logger,
): Promise<{ closed: Promise<void> }> {
  // Fails start-up with the authority's reason (unknown, revoked, expired, unreachable).
  const { caller } = await gateway.identify(token);
  const { id, server, detach } = await openMcpSession({
    gateway,
    caller,
    transport: "stdio",
    tokenFor: () => token,
  });
  const transport = new StdioServerTransport();
  const closed = new Promise<void>((resolve) => {
    server.onclose = () => {
      detach();
      resolve();
    };
  });
  await server.connect(transport);
  process.stdin.on("end", () => void server.close());
  log.info({ agent_id: caller.agent_id, tier: caller.tier, session: id }, "serving MCP over stdio");
  return { closed };
}
