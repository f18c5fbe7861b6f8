// Streamable HTTP transport on node:http at /mcp. Every request carries a bearer token checked by
// the SDK's requireBearerAuth; each session has its own MCP server and transport, is bound to the
// agent that opened it, and is closed after it has been idle for session_idle_ms.
import { randomUUID } from "node:crypto";
import {
  createServer,
  type Server as HttpServer,
  type IncomingMessage,
  type ServerResponse,
} from "node:http";
import type { AddressInfo } from "node:net";
import { InvalidTokenError, ServerError } from "@modelcontextprotocol/sdk/server/auth/errors.js";
import { requireBearerAuth } from "@modelcontextprotocol/sdk/server/auth/middleware/bearerAuth.js";
import type { AuthInfo } from "@modelcontextprotocol/sdk/server/auth/types.js";
import type { Server } from "@modelcontextprotocol/sdk/server/index.js";
import { StreamableHTTPServerTransport } from "@modelcontextprotocol/sdk/server/streamableHttp.js";
import { isInitializeRequest } from "@modelcontextprotocol/sdk/types.js";
import type { Logger } from "pino";
import type { Tier } from "../authority/index.js";
import { toAgovError } from "../util/errors.js";
import { createConsole } from "./console.js";
import type { Gateway } from "./gateway.js";
import { healthz } from "./healthz.js";
import { metrics } from "./metrics.js";
import { createOAuthEdge } from "./oauth/edge.js";
import { type HostRules, hostRules, isLoopback } from "./origin.js";
import { createRefusalLog } from "./refusals.js";
import { openMcpSession } from "./session.js";

const MAX_BODY = 4 * 1024 * 1024;

interface Live {
  transport: StreamableHTTPServerTransport;
  server: Server;
  agent_id: string;
  lastSeen: number;
  detach: () => void;
}

type AuthedRequest = IncomingMessage & { auth?: AuthInfo };

export async function serveHttp(
  gateway: Gateway,
  opts: {
    port: number;
    host: string;
    log: Logger;
    idleMs: number;
    /** Host headers accepted besides the bound address's own. */
    allowedHosts?: readonly string[];
    /** Origins accepted besides those of the allowed hosts. */
    allowedOrigins?: readonly string[];
    /**
     * Test mode: the token a request without credentials is served with (a T0 identity the
     * caller of serveHttp issued), instead of a 401. Off unless given.
     */
    anonymousToken?: () => Promise<string>;
    /**
     * The origin clients reach the server by (a TLS proxy's https://…): metadata and the OAuth
     * issuer use it. Otherwise they are built from the Host of each request.
     */
    publicUrl?: string;
  },
): Promise<{ url: string; close(): Promise<void>; sessions(): number }> {
  const sessions = new Map<string, Live>();
  // Set once the port is bound: the allowed Host values carry the port.
  let rules: HostRules;
  const refusals = createRefusalLog({
    ledger: gateway.runtime.ledger,
    clock: gateway.runtime.clock,
  });
  const baseOf = (req: IncomingMessage) =>
    opts.publicUrl ? new URL(opts.publicUrl).origin : `http://${req.headers.host}`;
  const edge = createOAuthEdge(gateway, (source, e, action) => refusals.refused(source, e, action));
  const consoleEdge = createConsole(gateway, {
    rules: () => rules,
    log: opts.log,
    refused: (source, e, action) => refusals.refused(source, e, action),
  });
  // One checker per request, so a refusal is counted against the address it came from.
  const bearerFor = (source: string, resourceMetadataUrl: string) =>
    requireBearerAuth({
      resourceMetadataUrl,
      verifier: {
        async verifyAccessToken(token) {
          try {
            const identity = await gateway.identify(token);
            const { caller } = identity;
            return {
              token,
              clientId: caller.agent_id,
              scopes: [],
              expiresAt: Math.floor(caller.expires_at / 1000),
              extra: { tier: caller.tier, identity },
            };
          } catch (err) {
            const e = toAgovError(err);
            refusals.refused(source, e, "http: bearer token refused");
            if (e.code === "UNAVAILABLE") throw new ServerError(e.message);
            throw new InvalidTokenError(`${e.code}: ${e.message}`);
          }
        },
      },
    });

  async function handle(req: AuthedRequest, res: ServerResponse): Promise<void> {
    const url = new URL(req.url ?? "/", "http://localhost");
    if (url.pathname === "/healthz") return healthz(gateway, refusals, req, res, sessions.size);
    if (url.pathname === "/metrics") return metrics(gateway, refusals, req, res);
    if (edge.owns(url.pathname)) {
      // Metadata and the sign-in pages are for any origin (a browser, a remote connector), but
      // only under a name this server answers to.
      const badHost = rules.problem({ host: req.headers.host });
      if (badHost) return json(res, 403, { error: "forbidden", error_description: badHost });
      return edge.handle(req, res, baseOf(req));
    }
    if (consoleEdge.owns(url.pathname)) return consoleEdge.handle(req, res, url);
    if (url.pathname !== "/mcp")
      return json(res, 404, { error: "not found: the MCP endpoint is /mcp" });
    // Before the token is even read: a rebound page gets nothing, not even a refusal row.
    const foreign = rules.problem({ host: req.headers.host, origin: req.headers.origin });
    if (foreign) return rpcError(res, 403, -32000, `forbidden: ${foreign}`);
    const metadataUrl = edge.metadataUrl(baseOf(req));
    if (!req.headers.authorization) {
      if (opts.anonymousToken) req.headers.authorization = `Bearer ${await opts.anonymousToken()}`;
      else {
        // RFC 6750 §3.1: a request that carries no credentials gets the challenge, no error code.
        res.setHeader("WWW-Authenticate", `Bearer resource_metadata="${metadataUrl}"`);
        return rpcError(
          res,
          401,
          -32001,
          "authentication required: send Authorization: Bearer <token> (issue one with `agov token issue`), or sign in through OAuth (see the resource metadata this 401 names)",
        );
      }
    }
    const authed = await new Promise<boolean>((resolve) => {
      const bearer = bearerFor(req.socket.remoteAddress ?? "unknown", metadataUrl);
      void bearer(req as never, expressish(res) as never, () => resolve(true));
      res.once("finish", () => resolve(false));
    });
    if (!authed || !req.auth) return;
    const agentId = req.auth.clientId;
    const sid = req.headers["mcp-session-id"];
    const sessionId = Array.isArray(sid) ? sid[0] : sid;

    let body: unknown;
    if (req.method === "POST") {
      try {
        body = await readJson(req);
      } catch (err) {
        return rpcError(res, 400, -32700, `parse error: ${(err as Error).message}`);
      }
    }

    if (sessionId) {
      const live = sessions.get(sessionId);
      if (!live)
        return rpcError(
          res,
          404,
          -32001,
          "session not found: it was closed or expired; initialize a new one",
        );
      if (live.agent_id !== agentId) {
        return rpcError(
          res,
          403,
          -32003,
          `session ${sessionId} belongs to another agent; a token may only drive its own agent's sessions`,
        );
      }
      live.lastSeen = gateway.runtime.clock.now();
      return live.transport.handleRequest(req, res, body);
    }
    if (req.method !== "POST" || !isInitializeRequest(body)) {
      return rpcError(res, 400, -32000, "no mcp-session-id: send an initialize request first");
    }
    let opened: Awaited<ReturnType<typeof openMcpSession>>;
    try {
      const { name, version } = body.params.clientInfo;
      opened = await openMcpSession({
        gateway,
        caller: { agent_id: agentId, tier: req.auth.extra?.tier as Tier },
        transport: "http",
        client: `${name}/${version}`,
        tokenFor: (extra) => extra.authInfo?.token,
      });
    } catch (err) {
      const e = toAgovError(err);
      // Too many sessions for the agent: 429, it can close one; for the server: 503, try later.
      const status = e.details?.limit === "max_sessions_per_agent" ? 429 : 503;
      return rpcError(res, status, -32000, `session refused: ${e.message}`);
    }
    const { server, detach } = opened;
    let live: Live | undefined;
    const transport = new StreamableHTTPServerTransport({
      sessionIdGenerator: randomUUID,
      onsessioninitialized: (id) => {
        if (live) sessions.set(id, live);
      },
      onsessionclosed: (id) => drop(id),
    });
    live = { transport, server, agent_id: agentId, lastSeen: gateway.runtime.clock.now(), detach };
    transport.onclose = () => transport.sessionId && drop(transport.sessionId);
    await server.connect(transport);
    await transport.handleRequest(req, res, body);
    // The transport refused the initialize (a bad Accept header, say): no session was made, so
    // nothing of it may stay attached.
    if (!transport.sessionId || !sessions.has(transport.sessionId)) {
      detach();
      await server.close().catch(() => {});
    }
  }

  function drop(id: string): void {
    const live = sessions.get(id);
    if (!live) return;
    sessions.delete(id);
    live.detach();
    void live.server.close().catch(() => {});
  }

  const http: HttpServer = createServer((req, res) => {
    handle(req, res).catch((err) => {
      opts.log.error({ err: toAgovError(err).message }, "HTTP request failed");
      if (!res.headersSent) rpcError(res, 500, -32603, "internal error");
      else res.end();
    });
  });
  const sweep = setInterval(
    () => {
      const cutoff = gateway.runtime.clock.now() - opts.idleMs;
      for (const [id, live] of sessions) if (live.lastSeen < cutoff) drop(id);
    },
    Math.min(opts.idleMs, 60_000),
  );
  sweep.unref();

  await new Promise<void>((resolve, reject) => {
    http.once("error", reject);
    http.listen(opts.port, opts.host, () => resolve());
  });
  const addr = http.address() as AddressInfo;
  const host = addr.family === "IPv6" ? `[${addr.address}]` : addr.address;
  rules = hostRules({
    address: addr.address,
    port: addr.port,
    allowedHosts: opts.allowedHosts ?? [],
    allowedOrigins: opts.allowedOrigins ?? [],
  });
  if (!isLoopback(addr.address))
    opts.log.warn(
      { address: addr.address, allowed_hosts: rules.hosts },
      `listening on ${host}, which is not a loopback address: anyone who can reach it can try tokens, and requests travel in clear text unless a TLS proxy is in front; only the Host names listed are answered (set http_allowed_hosts for the names clients use)`,
    );
  return {
    url: `http://${host}:${addr.port}/mcp`,
    sessions: () => sessions.size,
    async close() {
      clearInterval(sweep);
      consoleEdge.close();
      for (const id of [...sessions.keys()]) drop(id);
      http.closeAllConnections();
      await new Promise<void>((resolve) => http.close(() => resolve()));
      await refusals.close();
    },
  };
}

/** The three response helpers requireBearerAuth uses, on a plain node:http response. */
function expressish(res: ServerResponse) {
  const r = res as ServerResponse & Record<string, unknown>;
  r.set = (name: string, value: string) => {
    res.setHeader(name, value);
    return r;
  };
  r.status = (code: number) => {
    res.statusCode = code;
    return r;
  };
  r.json = (body: unknown) => {
    res.setHeader("content-type", "application/json");
    res.end(JSON.stringify(body));
    return r;
  };
  return r;
}

function json(res: ServerResponse, status: number, body: unknown): void {
  res.writeHead(status, { "content-type": "application/json" }).end(JSON.stringify(body));
}

function rpcError(res: ServerResponse, status: number, code: number, message: string): void {
  json(res, status, { jsonrpc: "2.0", error: { code, message }, id: null });
}

async function readJson(req: IncomingMessage): Promise<unknown> {
  const chunks: Buffer[] = [];
  let size = 0;
  for await (const chunk of req) {
    size += (chunk as Buffer).length;
    if (size > MAX_BODY) throw new Error(`body larger than ${MAX_BODY} bytes`);
    chunks.push(chunk as Buffer);
  }
  return JSON.parse(Buffer.concat(chunks).toString("utf8"));
}
