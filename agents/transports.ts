// How an agent reaches agov besides in-process: by launching `agov serve` over stdio with its own
// token (exactly as an MCP client would), or over Streamable HTTP with a bearer token.
import { StdioClientTransport } from "@modelcontextprotocol/sdk/client/stdio.js";
import { StreamableHTTPClientTransport } from "@modelcontextprotocol/sdk/client/streamableHttp.js";
import type { Transport } from "@modelcontextprotocol/sdk/shared/transport.js";

export function stdioTransport(opts: {
  command: string;
  args: string[];
  env: Record<string, string>;
  token: string;
}): Transport {
  return new StdioClientTransport({
    command: opts.command,
    args: opts.args,
    env: { ...opts.env, AGOV_TOKEN: opts.token },
    stderr: "inherit",
  });
}

export function httpTransport(url: string, token: string): Transport {
  return new StreamableHTTPClientTransport(new URL(url), {
    requestInit: { headers: { Authorization: `Bearer ${token}` } },
  });
}
