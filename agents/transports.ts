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
    fetch: scopedFetch,
  });
}

/**
 * The transport passes one long-lived AbortSignal to every request, and each request leaves an
 * abort listener on it until the garbage collector reclaims the request: an agent making thousands
 * of calls piles them up (and Node warns past 1,500).
 * Each request here gets its own signal, linked to the transport's only while its response is
 * being read, so closing the transport still cancels it and nothing accumulates.
 */
export const scopedFetch: typeof fetch = async (input, init) => {
  const outer = init?.signal;
  if (!outer) return fetch(input, init);
  const inner = new AbortController();
  const forward = () => inner.abort(outer.reason);
  if (outer.aborted) inner.abort(outer.reason);
  else outer.addEventListener("abort", forward, { once: true });
  const done = () => outer.removeEventListener("abort", forward);
  let res: Response;
  try {
    res = await fetch(input, { ...init, signal: inner.signal });
  } catch (err) {
    done();
    throw err;
  }
  if (!res.body) {
    done();
    return res;
  }
  const reader = res.body.getReader();
  const body = new ReadableStream<Uint8Array>({
    async pull(controller) {
      try {
        const { done: end, value } = await reader.read();
        if (end) {
          done();
          controller.close();
        } else controller.enqueue(value);
      } catch (err) {
        done();
        controller.error(err);
      }
    },
    cancel(reason) {
      done();
      return reader.cancel(reason);
    },
  });
  return new Response(body, {
    status: res.status,
    statusText: res.statusText,
    headers: res.headers,
  });
};
