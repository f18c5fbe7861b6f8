// MCP spoken by hand to the real binary over stdio and HTTP, for what the SDK client will not send:
// arguments nested deeper than its JSON.stringify survives, hostile Host and Origin headers.
import { spawn } from "node:child_process";
import { type IncomingHttpHeaders, request } from "node:http";
import { BIN, cleanEnv } from "./agov.js";

export const PROTOCOL = "2025-06-18";

export function initialize(id: number, client = { name: "raw", version: "1" }): string {
  return JSON.stringify({
    jsonrpc: "2.0",
    id,
    method: "initialize",
    params: { protocolVersion: PROTOCOL, capabilities: {}, clientInfo: client },
  });
}
const INITIALIZED = JSON.stringify({ jsonrpc: "2.0", method: "notifications/initialized" });

/** A tools/call request whose arguments are given as JSON text, sent as is. */
export function toolCall(id: number, name: string, argsJson: string): string {
  return `{"jsonrpc":"2.0","id":${id},"method":"tools/call","params":{"name":${JSON.stringify(name)},"arguments":${argsJson}}}`;
}

export interface RpcResponse {
  id: number;
  result?: { isError?: boolean; content?: Array<{ text?: string }> };
  error?: { code: number; message: string };
}

/** `agov serve` over stdio, initialized, answering requests written as raw lines. */
export async function rawStdio(home: string, token: string) {
  const child = spawn(process.execPath, [BIN, "serve"], {
    env: cleanEnv({ AGOV_HOME: home, AGOV_TOKEN: token }),
    stdio: ["pipe", "pipe", "pipe"],
  });
  const waiting = new Map<number, (r: RpcResponse) => void>();
  let buffered = "";
  let stderr = "";
  child.stderr.on("data", (d) => (stderr += d));
  child.stdout.on("data", (d) => {
    buffered += d;
    for (let nl = buffered.indexOf("\n"); nl >= 0; nl = buffered.indexOf("\n")) {
      const line = buffered.slice(0, nl);
      buffered = buffered.slice(nl + 1);
      const msg = JSON.parse(line) as RpcResponse;
      waiting.get(msg.id)?.(msg);
    }
  });
  const exited = new Promise<void>((resolve) => child.once("exit", () => resolve()));
  const send = (line: string, id: number) =>
    new Promise<RpcResponse>((resolve, reject) => {
      waiting.set(id, resolve);
      void exited.then(() => reject(new Error(`agov serve exited: ${stderr}`)));
      child.stdin.write(`${line}\n`);
    });
  await send(initialize(0), 0);
  child.stdin.write(`${INITIALIZED}\n`);
  return {
    send,
    stderr: () => stderr,
    async close() {
      child.stdin.end();
      await exited;
    },
  };
}

const ACCEPT = "application/json, text/event-stream";

/** One JSON-RPC answer from a Streamable HTTP response (plain JSON or one SSE event). */
async function answer(res: Response): Promise<RpcResponse> {
  const text = await res.text();
  if (!(res.headers.get("content-type") ?? "").includes("text/event-stream"))
    return JSON.parse(text) as RpcResponse;
  const data = text
    .split("\n")
    .filter((l) => l.startsWith("data: "))
    .map((l) => l.slice(6));
  return JSON.parse(data.at(-1) ?? "null") as RpcResponse;
}

/** An initialized Streamable HTTP session driven with fetch. */
export async function rawHttp(url: string, token: string, headers: Record<string, string> = {}) {
  const base = {
    "content-type": "application/json",
    accept: ACCEPT,
    authorization: `Bearer ${token}`,
    ...headers,
  };
  const init = await fetch(url, { method: "POST", headers: base, body: initialize(0) });
  if (init.status !== 200) throw new Error(`initialize: HTTP ${init.status} ${await init.text()}`);
  await answer(init);
  const sessionId = init.headers.get("mcp-session-id")!;
  const session = { ...base, "mcp-session-id": sessionId, "mcp-protocol-version": PROTOCOL };
  await fetch(url, { method: "POST", headers: session, body: INITIALIZED });
  return {
    sessionId,
    async send(body: string): Promise<RpcResponse> {
      const res = await fetch(url, { method: "POST", headers: session, body });
      if (res.status !== 200) throw new Error(`HTTP ${res.status} ${await res.text()}`);
      return answer(res);
    },
    async close() {
      await fetch(url, { method: "DELETE", headers: session });
    },
  };
}

/**
 * A POST with exactly the headers given, Host included (fetch sets Host itself), answered with the
 * status and body: what a browser tricked by DNS rebinding would send.
 */
export function rawPost(
  url: string,
  headers: Record<string, string>,
  body: string,
): Promise<{ status: number; body: string; headers: IncomingHttpHeaders }> {
  return new Promise((resolve, reject) => {
    const req = request(url, { method: "POST", headers }, (res) => {
      let text = "";
      res.setEncoding("utf8");
      res.on("data", (d) => (text += d));
      res.on("end", () =>
        resolve({ status: res.statusCode ?? 0, body: text, headers: res.headers }),
      );
    });
    req.on("error", reject);
    req.end(body);
  });
}
