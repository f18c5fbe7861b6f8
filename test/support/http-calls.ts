// Makes many calls on one Streamable HTTP session with the agents' transport (or the bare SDK one),
// for the listener-leak test. Usage: tsx http-calls.ts <url> <agents|bare> <calls>
import { Client } from "@modelcontextprotocol/sdk/client/index.js";
import { StreamableHTTPClientTransport } from "@modelcontextprotocol/sdk/client/streamableHttp.js";
import { scopedFetch } from "../../agents/transports.js";

const [url, mode, calls] = process.argv.slice(2);
const client = new Client({ name: "calls", version: "1.0.0" });
await client.connect(
  new StreamableHTTPClientTransport(new URL(url!), mode === "agents" ? { fetch: scopedFetch } : {}),
);
for (let i = 0; i < Number(calls); i++)
  await client.callTool({ name: "lock_status", arguments: { resource: "r" } });
await client.close();
process.stdout.write("done\n");
