// The cold-start baseline: the smallest MCP SDK stdio server (one no-op tool), plain JavaScript so
// that it starts as fast as a compiled server can, as `agov serve` runs from dist/.
import { McpServer } from "@modelcontextprotocol/sdk/server/mcp.js";
import { StdioServerTransport } from "@modelcontextprotocol/sdk/server/stdio.js";
import { z } from "zod";

const server = new McpServer({ name: "bare", version: "0.0.0" });
server.registerTool("noop", { description: "Does nothing.", inputSchema: z.object({}) }, () => ({
  content: [{ type: "text", text: '{"ok":true}' }],
}));
await server.connect(new StdioServerTransport());
