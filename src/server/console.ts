// The web console at /console: a few static files shipped with the package (console/ and the ESM
// builds of preact and htm, no build step, no CDN), a JSON edge that is nothing but the gateway's
// one call path (/console/api/tools is listTools, /console/api/call is call), and an event
// stream (/console/events) that only says what kind of state changed, so the page re-reads it
// through governed calls and never learns more than the caller's tier may see.
import { createHash } from "node:crypto";
import { readFileSync } from "node:fs";
import type { IncomingMessage, ServerResponse } from "node:http";
import { join } from "node:path";
import { fileURLToPath } from "node:url";
import type { Logger } from "pino";
import { type AgovError, toAgovError } from "../util/errors.js";
import { packageRoot } from "../util/paths.js";
import type { Gateway, Identity } from "./gateway.js";
import type { HostRules } from "./origin.js";

const MAX_BODY = 256 * 1024;
const MAX_STREAMS = 64;
/** Streams one agent may hold: a page per tab, a few tabs; no one agent can take them all. */
const MAX_STREAMS_PER_AGENT = 8;
const KEEPALIVE_MS = 15_000;
/** What a stream may have written and its client not yet read before the stream is ended. */
const MAX_UNREAD = 64 * 1024;
/** Node's timers hold at most about 24.8 days. */
const MAX_TIMER_MS = 2_147_483_647;
/** The event types the page is told of: a type and nothing else of the change. */
const KINDS = new Set([
  "blackboard",
  "message",
  "roster",
  "handoff",
  "packet",
  "pipeline_run",
  "stage_waiting",
  "revoked",
  "tier_changed",
]);

interface Asset {
  type: string;
  /** A file inside the package: console/… or a dependency's ESM build. */
  file: () => string;
}

const JS = "text/javascript; charset=utf-8";
const fromConsole = (name: string) => () => join(packageRoot(), "console", name);
const fromModule = (specifier: string) => () => fileURLToPath(import.meta.resolve(specifier));

/** Every path the console serves; any other is a 404 (no file system path is ever built from a URL). */
const ASSETS: Record<string, Asset> = {
  "/console/app.js": { type: JS, file: fromConsole("app.js") },
  "/console/api.js": { type: JS, file: fromConsole("api.js") },
  "/console/style.css": { type: "text/css; charset=utf-8", file: fromConsole("style.css") },
  "/console/vendor/preact.mjs": { type: JS, file: fromModule("preact") },
  "/console/vendor/hooks.mjs": { type: JS, file: fromModule("preact/hooks") },
  "/console/vendor/htm.mjs": { type: JS, file: fromModule("htm") },
};

const IMPORT_MAP = JSON.stringify({
  imports: {
    preact: "/console/vendor/preact.mjs",
    "preact/hooks": "/console/vendor/hooks.mjs",
    htm: "/console/vendor/htm.mjs",
  },
});

export interface ConsoleEdge {
  owns(pathname: string): boolean;
  handle(req: IncomingMessage, res: ServerResponse, url: URL): Promise<void>;
  close(): void;
}

export function createConsole(
  gateway: Gateway,
  opts: {
    rules: () => HostRules;
    log: Logger;
    /** A refused bearer token, counted per source like /mcp's (floods become one summary row). */
    refused: (source: string, err: AgovError, action: string) => void;
  },
): ConsoleEdge {
  const streams = new Set<ServerResponse>();
  const perAgent = new Map<string, number>();
  const cache = new Map<string, Buffer>();
  const importMapHash = createHash("sha256").update(IMPORT_MAP).digest("base64");
  // The import map is the page's only inline script; it is allowed by its hash, nothing else is.
  const csp = [
    "default-src 'none'",
    `script-src 'self' 'sha256-${importMapHash}'`,
    "style-src 'self'",
    "img-src 'self' data:",
    "connect-src 'self'",
    "base-uri 'none'",
    "form-action 'self'",
    "frame-ancestors 'none'",
  ].join("; ");

  function headers(res: ServerResponse, type: string): void {
    res.setHeader("content-type", type);
    res.setHeader("content-security-policy", csp);
    res.setHeader("x-content-type-options", "nosniff");
    res.setHeader("referrer-policy", "no-referrer");
    res.setHeader("x-frame-options", "DENY");
    res.setHeader("cache-control", "no-store");
  }

  function send(res: ServerResponse, status: number, type: string, body: string | Buffer): void {
    headers(res, type);
    res.statusCode = status;
    res.end(body);
  }

  const json = (res: ServerResponse, status: number, body: unknown) =>
    send(res, status, "application/json", JSON.stringify(body));

  function page(): string {
    return `<!doctype html>
<html lang="en">
<head>
<meta charset="utf-8">
<meta name="viewport" content="width=device-width, initial-scale=1">
<title>agov console</title>
<link rel="icon" href="data:,">
<link rel="stylesheet" href="/console/style.css">
<script type="importmap">${IMPORT_MAP}</script>
<script type="module" src="/console/app.js"></script>
</head>
<body><main id="app"><p class="muted">Loading the agov console…</p></main></body>
</html>
`;
  }

  function asset(path: string): Buffer | null {
    const known = ASSETS[path];
    if (!known) return null;
    let body = cache.get(path);
    if (!body) {
      body = readFileSync(known.file());
      cache.set(path, body);
    }
    return body;
  }

  function bearer(req: IncomingMessage): string | null {
    const h = req.headers.authorization;
    const m = typeof h === "string" ? /^Bearer ([\x21-\x7e]{1,4096})$/.exec(h) : null;
    return m ? m[1]! : null;
  }

  /** The ledger's session id of a console caller: stable per token, the token not derivable. */
  const sessionOf = (token: string) =>
    `console-${createHash("sha256").update(token).digest("hex").slice(0, 16)}`;

  /**
   * The caller of a request, or null once it was answered 401 (503 when the authority is down).
   * As on /mcp, a token refused here is recorded per source, not once per request.
   */
  async function identified(
    req: IncomingMessage,
    res: ServerResponse,
    token: string,
  ): Promise<Identity | null> {
    try {
      return await gateway.identify(token);
    } catch (err) {
      const e = toAgovError(err);
      opts.refused(req.socket.remoteAddress ?? "unknown", e, "console: bearer token refused");
      json(res, e.code === "UNAVAILABLE" ? 503 : 401, { error: `${e.code}: ${e.message}` });
      return null;
    }
  }

  async function api(req: IncomingMessage, res: ServerResponse, what: string): Promise<void> {
    if (req.method !== "POST") return json(res, 405, { error: "use POST" });
    const type = req.headers["content-type"] ?? "";
    if (!/^application\/json\b/.test(type))
      return json(res, 415, { error: "send Content-Type: application/json" });
    const token = bearer(req);
    if (!token)
      return json(res, 401, {
        error: "authentication required: send Authorization: Bearer <token>",
      });
    const identity = await identified(req, res, token);
    if (!identity) return;
    let body: unknown;
    try {
      body = await readJson(req);
    } catch (err) {
      return json(res, 400, { error: `bad request body: ${(err as Error).message}` });
    }
    if (what === "tools") {
      const tools = await gateway.listTools(token);
      return json(res, 200, {
        tools: tools.map((t) => ({ name: t.name, title: t.title, description: t.description })),
      });
    }
    const b = (body ?? {}) as { name?: unknown; arguments?: unknown };
    if (typeof b.name !== "string")
      return json(res, 400, { error: "name: expected the tool's name, a string" });
    const result = await gateway.call(
      token,
      { id: sessionOf(token), client: "agov-console" },
      b.name,
      b.arguments ?? {},
      identity,
    );
    return json(res, 200, result);
  }

  async function events(req: IncomingMessage, res: ServerResponse): Promise<void> {
    if (req.method !== "GET") return json(res, 405, { error: "use GET" });
    const token = bearer(req);
    if (!token)
      return json(res, 401, {
        error: "authentication required: send Authorization: Bearer <token>",
      });
    const identity = await identified(req, res, token);
    if (!identity) return;
    // A client that left while its token was checked has no stream to hold a slot for.
    if (req.destroyed || res.destroyed || res.writableEnded) return;
    const agentId = identity.caller.agent_id;
    if (streams.size >= MAX_STREAMS)
      return json(res, 503, { error: `the console has ${MAX_STREAMS} open streams; try later` });
    const held = perAgent.get(agentId) ?? 0;
    if (held >= MAX_STREAMS_PER_AGENT)
      return json(res, 429, {
        error: `agent ${agentId} already follows the console in ${held} streams (at most ${MAX_STREAMS_PER_AGENT}); close a tab`,
      });
    perAgent.set(agentId, held + 1);
    streams.add(res);
    let unsubscribe = () => {};
    let expiry: NodeJS.Timeout | undefined;
    const keepalive = setInterval(() => send(": keepalive\n\n"), KEEPALIVE_MS);
    keepalive.unref();
    // The slot is given back however the stream ends; close is registered before anything else can.
    res.once("close", () => {
      clearInterval(keepalive);
      clearTimeout(expiry);
      unsubscribe();
      streams.delete(res);
      const left = (perAgent.get(agentId) ?? 1) - 1;
      if (left > 0) perAgent.set(agentId, left);
      else perAgent.delete(agentId);
    });
    /** Writes, or ends a stream its client no longer reads rather than buffer for it. */
    function send(text: string): void {
      if (res.writableEnded) return;
      if (res.writableLength > MAX_UNREAD) {
        res.destroy();
        return;
      }
      res.write(text);
    }
    const signOut = () => {
      send("event: signed-out\ndata: {}\n\n");
      res.end();
    };
    headers(res, "text/event-stream");
    res.setHeader("connection", "keep-alive");
    res.statusCode = 200;
    res.flushHeaders();
    send(`event: ready\ndata: ${JSON.stringify({ agent_id: agentId })}\n\n`);
    // A token that expires signs the page out then, not at the next change.
    expiry = setTimeout(
      signOut,
      Math.max(0, Math.min(identity.caller.expires_at - gateway.runtime.clock.now(), MAX_TIMER_MS)),
    );
    expiry.unref();
    unsubscribe = gateway.runtime.state.events.subscribe((event) => {
      if (!KINDS.has(event.type)) return;
      // A caller whose token stopped working hears nothing more.
      if (event.type === "revoked" || event.type === "tier_changed") {
        void gateway
          .identify(token)
          .then(() => send(`event: change\ndata: {"type":"${event.type}"}\n\n`), signOut);
        return;
      }
      send(`event: change\ndata: {"type":"${event.type}"}\n\n`);
    });
  }

  return {
    owns: (pathname) => pathname === "/console" || pathname.startsWith("/console/"),
    async handle(req, res, url) {
      const path = url.pathname;
      const isApi = path.startsWith("/console/api/") || path === "/console/events";
      // Static files under any name this server answers to; calls and events also from its own
      // origins only (a rebound or foreign page gets nothing).
      const problem = opts
        .rules()
        .problem(
          isApi
            ? { host: req.headers.host, origin: req.headers.origin }
            : { host: req.headers.host },
        );
      if (problem) return json(res, 403, { error: `forbidden: ${problem}` });
      try {
        if (path === "/console" || path === "/console/") {
          if (req.method !== "GET" && req.method !== "HEAD")
            return json(res, 405, { error: "use GET" });
          return send(res, 200, "text/html; charset=utf-8", page());
        }
        if (path === "/console/api/tools") return await api(req, res, "tools");
        if (path === "/console/api/call") return await api(req, res, "call");
        if (path === "/console/events") return await events(req, res);
        const body = req.method === "GET" || req.method === "HEAD" ? asset(path) : null;
        if (!body) return json(res, 404, { error: "not found" });
        return send(res, 200, ASSETS[path]!.type, body);
      } catch (err) {
        opts.log.error({ err: toAgovError(err).message }, "console request failed");
        if (!res.headersSent) return json(res, 500, { error: "internal error" });
        res.end();
      }
    },
    close() {
      for (const res of streams) res.end();
      streams.clear();
    },
  };
}

async function readJson(req: IncomingMessage): Promise<unknown> {
  const chunks: Buffer[] = [];
  let size = 0;
  for await (const chunk of req) {
    size += (chunk as Buffer).length;
    if (size > MAX_BODY) throw new Error(`larger than ${MAX_BODY} bytes`);
    chunks.push(chunk as Buffer);
  }
  const text = Buffer.concat(chunks).toString("utf8");
  return text ? JSON.parse(text) : {};
}
