// In-process transport: an agent in the same process (the runner's default, benchmarks, tests)
// gets its own session over the SDK's in-memory pair. That transport carries no authInfo, so the
// caller's token is bound to the session here, exactly as stdio binds AGOV_TOKEN.
import { InMemoryTransport } from "@modelcontextprotocol/sdk/inMemory.js";
import type { Transport } from "@modelcontextprotocol/sdk/shared/transport.js";
import type { Gateway } from "./gateway.js";
import { openMcpSession } from "./session.js";

export interface MemoryConnection {
  /** Give this to an MCP Client's connect(). */
  transport: Transport;
  agent_id: string;
  close(): Promise<void>;
}

export async function connectInMemory(gateway: Gateway, token: string): Promise<MemoryConnection> {
  const { caller } = await gateway.identify(token);
  const { server, detach } = await openMcpSession({
    gateway,
    caller,
    transport: "memory",
    tokenFor: () => token,
  });
  const [clientSide, serverSide] = InMemoryTransport.createLinkedPair();
  server.onclose = detach;
  await server.connect(serverSide);
  return {
    transport: clientSide,
    agent_id: caller.agent_id,
    async close() {
      await server.close();
    },
  };
}
