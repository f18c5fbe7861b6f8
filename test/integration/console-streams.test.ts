// The console's event stream holds a bounded number of slots per agent and in all. A slot is given
// back when its stream ends, however it ends: a client that leaves while its token is still being
// checked, a client that stops reading, a token that expires while the stream is open. Driven over
// real HTTP against createConsole with a gateway double whose token checks the test controls.
import { createServer, request, type Server } from "node:http";
import type { AddressInfo } from "node:net";
import pino from "pino";
import { afterEach, describe, expect, it } from "vitest";
import { createConsole } from "../../src/server/console.js";
import type { Gateway, Identity } from "../../src/server/gateway.js";
import { hostRules } from "../../src/server/origin.js";
import { AgovError } from "../../src/util/errors.js";

interface Held {
  resolve: (id: Identity) => void;
  reject: (err: unknown) => void;
}

const servers: Server[] = [];
afterEach(async () => {
  for (const s of servers.splice(0)) {
    s.closeAllConnections();
    await new Promise((r) => s.close(r));
  }
});

function identity(agent: string, expiresAt: number): Identity {
  return {
    caller: { agent_id: agent, tier: 1, expires_at: expiresAt } as Identity["caller"],
    granted: new Set(),
  };
}

/** A console on a real port; `hold` makes token checks wait for the test, `expired` fails them. */
async function consoleServer() {
  const held: Held[] = [];
  const state = { hold: false, expired: false, expiresAt: Date.now() + 3_600_000 };
  const listeners = new Set<(e: { type: string }) => void>();
  const gateway = {
    identify(token: string): Promise<Identity> {
      if (state.expired) return Promise.reject(new AgovError("UNAUTHENTICATED", "token expired"));
      if (!state.hold) return Promise.resolve(identity(token, state.expiresAt));
      return new Promise((resolve, reject) => held.push({ resolve, reject }));
    },
    runtime: {
      clock: { now: () => Date.now() },
      state: {
        events: {
          subscribe(fn: (e: { type: string }) => void) {
            listeners.add(fn);
            return () => listeners.delete(fn);
          },
        },
      },
    },
  } as unknown as Gateway;
  let rules = hostRules({ address: "127.0.0.1", port: 0, allowedHosts: [], allowedOrigins: [] });
  const edge = createConsole(gateway, {
    rules: () => rules,
    log: pino({ level: "silent" }),
    refused: () => {},
  });
  const server = createServer((req, res) => {
    void edge.handle(req, res, new URL(req.url!, "http://x"));
  });
  servers.push(server);
  await new Promise<void>((r) => server.listen(0, "127.0.0.1", r));
  const { port } = server.address() as AddressInfo;
  rules = hostRules({ address: "127.0.0.1", port, allowedHosts: [], allowedOrigins: [] });

  /** Opens /console/events; resolves with the status once the response head arrives. */
  function open(token: string) {
    const req = request({
      host: "127.0.0.1",
      port,
      path: "/console/events",
      headers: { authorization: `Bearer ${token}` },
    });
    const status = new Promise<{ code: number; body: () => Promise<string> }>((resolve, reject) => {
      req.on("response", (res) => {
        let text = "";
        res.setEncoding("utf8");
        res.on("data", (c: string) => {
          text += c;
        });
        const ended = new Promise<string>((r) => res.on("close", () => r(text)));
        resolve({ code: res.statusCode!, body: () => ended });
      });
      req.on("error", reject);
    });
    req.end();
    return { req, status };
  }
  const emit = (type: string) => {
    for (const l of listeners) l({ type });
  };
  return { open, held, state, emit, listeners };
}

const tick = () => new Promise((r) => setTimeout(r, 20));

async function until(check: () => boolean): Promise<void> {
  for (let i = 0; i < 250 && !check(); i++) await tick();
  expect(check()).toBe(true);
}

describe("console event streams", () => {
  it("gives a slot back when its client leaves while the token is still being checked", async () => {
    const c = await consoleServer();
    c.state.hold = true;
    const gone = [];
    for (let i = 0; i < 8; i++) {
      const o = c.open("agent-a");
      o.status.catch(() => {});
      gone.push(o);
    }
    await until(() => c.held.length === 8);
    for (const o of gone) o.req.destroy();
    await tick();
    for (const h of c.held.splice(0)) h.resolve(identity("agent-a", c.state.expiresAt));
    await tick();
    // None of the eight left a stream behind: the agent may still follow the console.
    expect(c.listeners.size).toBe(0);
    c.state.hold = false;
    const again = c.open("agent-a");
    expect((await again.status).code).toBe(200);
    again.req.destroy();
  });

  it("ends a stream when its token expires, saying so", async () => {
    const c = await consoleServer();
    c.state.expiresAt = Date.now() + 50;
    const o = c.open("agent-b");
    const { code, body } = await o.status;
    expect(code).toBe(200);
    const text = await body();
    expect(text).toContain("event: signed-out");
    expect(c.listeners.size).toBe(0);
  });

  it("ends a stream at a revocation once its token no longer works", async () => {
    const c = await consoleServer();
    const o = c.open("agent-d");
    const { code, body } = await o.status;
    expect(code).toBe(200);
    await until(() => c.listeners.size === 1);
    c.state.expired = true;
    c.emit("revoked");
    expect(await body()).toContain("event: signed-out");
    await until(() => c.listeners.size === 0);
  });

  it("ends the stream of a client that stops reading instead of buffering for it", async () => {
    const c = await consoleServer();
    const o = c.open("agent-c");
    const { code } = await o.status;
    expect(code).toBe(200);
    // The client stops reading: pause its socket so the server's writes pile up.
    o.req.socket?.pause();
    await until(() => c.listeners.size === 1);
    for (let i = 0; i < 200_000 && c.listeners.size > 0; i++) c.emit("blackboard");
    await until(() => c.listeners.size === 0);
    o.req.destroy();
  });
});
