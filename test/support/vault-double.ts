// A Vault-API-compatible HTTP double for tests (Vault cannot run here): node:http on a free
// loopback port, X-Vault-Token auth, `{"errors": [...]}` bodies with Vault's status codes, real
// TTL expiry on an injectable clock, and stop/start on the same port to play an outage.
// LIST requests arrive as `GET ?list=true` (Node's HTTP parser refuses the LIST verb; Vault
// accepts both forms).
import { createServer, type IncomingMessage, type Server } from "node:http";
import type { AddressInfo } from "node:net";
import { type Clock, systemClock } from "../../src/util/clock.js";
import { type Reply, route, VaultErr } from "./vault-double-routes.js";
import { createDoubleState, type DoubleState } from "./vault-double-state.js";

export interface LoggedRequest {
  method: string;
  path: string;
  /** Accessor of the token the request carried, when Vault accepted it. */
  accessor: string | undefined;
  status: number;
}

export interface VaultDouble {
  addr: string;
  rootToken: string;
  state: DoubleState;
  requests: LoggedRequest[];
  /** How many requests were made to `method path` (path without /v1/ and query). */
  count(method: string, path: string): number;
  /** Stops answering (connections refused), keeping every token, policy and role. */
  stop(): Promise<void>;
  /** Answers again, on the same port. */
  start(): Promise<void>;
  /** A sealed Vault answers 503 to everything but sys/health. */
  seal(sealed: boolean): void;
  close(): Promise<void>;
}

export async function startVaultDouble(opts: { clock?: Clock } = {}): Promise<VaultDouble> {
  const state = createDoubleState(opts.clock ?? systemClock);
  const root = state.createToken({
    policies: ["root"],
    path: "auth/token/root",
    displayName: "root",
  });
  const requests: LoggedRequest[] = [];
  let sealed = false;
  let port = 0;
  let server: Server | undefined;

  async function handle(req: IncomingMessage): Promise<Reply> {
    const url = new URL(req.url ?? "/", "http://vault");
    if (!url.pathname.startsWith("/v1/")) return { status: 404, body: { errors: [] } };
    const path = decodeURIComponent(url.pathname.slice(4)).replace(/\/$/, "");
    if (path === "sys/health")
      return {
        status: sealed ? 503 : 200,
        body: { initialized: true, sealed, standby: false, version: "1.17.0+double" },
      };
    if (sealed) throw new VaultErr(503, ["Vault is sealed"]);
    const list = ["true", "1"].includes(url.searchParams.get("list") ?? "");
    const method =
      req.method === "GET" && list ? "LIST" : req.method === "PUT" ? "POST" : req.method;
    if (method !== "GET" && method !== "LIST" && method !== "POST" && method !== "DELETE")
      throw new VaultErr(405, ["unsupported operation"]);
    const chunks: Buffer[] = [];
    for await (const c of req) chunks.push(c as Buffer);
    const raw = Buffer.concat(chunks).toString("utf8");
    let body: Record<string, unknown> = {};
    try {
      if (raw.trim()) body = JSON.parse(raw) as Record<string, unknown>;
    } catch {
      throw new VaultErr(400, ["failed to parse JSON input: invalid character"]);
    }
    state.sweep();
    const header = req.headers["x-vault-token"];
    const presented = Array.isArray(header) ? header[0] : header;
    const token = presented ? state.tokens.get(presented) : undefined;
    const unauthenticated = path === "auth/approle/login";
    if (presented && !token && !unauthenticated)
      throw new VaultErr(403, ["2 errors occurred:\n\t* permission denied\n\t* invalid token\n\n"]);
    (req as IncomingMessage & { accessor?: string }).accessor = token?.accessor;
    return route(state, { method, path, body, token: unauthenticated ? undefined : token });
  }

  function listen(): Promise<void> {
    if (server) return Promise.resolve();
    const srv = createServer((req, res) => {
      const started = new URL(req.url ?? "/", "http://vault");
      const log = (status: number) =>
        requests.push({
          method:
            req.method === "GET" && started.searchParams.has("list") ? "LIST" : (req.method ?? ""),
          path: decodeURIComponent(started.pathname.replace(/^\/v1\//, "")),
          accessor: (req as IncomingMessage & { accessor?: string }).accessor,
          status,
        });
      handle(req).then(
        (reply) => {
          log(reply.status);
          if (reply.status === 204 || reply.body === undefined) res.writeHead(reply.status).end();
          else
            res
              .writeHead(reply.status, { "content-type": "application/json" })
              .end(JSON.stringify(reply.body));
        },
        (err: unknown) => {
          const e = err instanceof VaultErr ? err : new VaultErr(500, [String(err)]);
          log(e.status);
          res
            .writeHead(e.status, { "content-type": "application/json" })
            .end(JSON.stringify({ errors: e.errors }));
        },
      );
    });
    return new Promise((resolve, reject) => {
      srv.once("error", reject);
      srv.listen(port, "127.0.0.1", () => {
        port = (srv.address() as AddressInfo).port;
        server = srv;
        resolve();
      });
    });
  }

  async function stop(): Promise<void> {
    const srv = server;
    server = undefined;
    if (!srv) return;
    srv.closeAllConnections();
    await new Promise<void>((resolve) => srv.close(() => resolve()));
  }

  await listen();
  return {
    addr: `http://127.0.0.1:${port}`,
    rootToken: root.id,
    state,
    requests,
    count: (method, path) => requests.filter((r) => r.method === method && r.path === path).length,
    stop,
    start: listen,
    seal(v) {
      sealed = v;
    },
    close: stop,
  };
}
