// A real redis-server for a scenario: a free loopback port, its own directory, with AOF
// (appendfsync always: an acknowledged write survives kill -9) or with no persistence at all.
import { spawnSync } from "node:child_process";
import { createConnection, createServer } from "node:net";
import type { Child, Procs } from "./procs.js";
import { pause } from "./rng.js";

export interface ChaosRedis {
  url: string;
  /** SIGKILL, as a crash. */
  kill9(): Promise<void>;
  /** Starts it again on the same port and directory (with AOF, it reloads what it had). */
  restart(): Promise<void>;
  /** SIGSTOP / SIGCONT: it keeps its connections but answers nothing. */
  stall(): void;
  resume(): void;
  stop(): Promise<void>;
}

/** Why redis-server cannot run here, or null when it can. */
export function redisMissing(): string | null {
  const probe = spawnSync("redis-server", ["--version"], { stdio: "ignore" });
  if (!probe.error && probe.status === 0) return null;
  return "redis-server is not on PATH (install it, e.g. apt-get install -y redis-server)";
}

export async function startRedis(procs: Procs, dir: string, persist: boolean): Promise<ChaosRedis> {
  const port = await freePort();
  const args = ["--port", String(port), "--bind", "127.0.0.1", "--dir", dir, "--save", ""];
  args.push(
    ...(persist ? ["--appendonly", "yes", "--appendfsync", "always"] : ["--appendonly", "no"]),
  );
  let child: Child | undefined;
  const launch = async () => {
    const c = procs.spawnRaw("redis-server", args);
    child = c;
    const deadline = Date.now() + 10_000;
    while (!(await ping(port))) {
      if (!c.alive() || Date.now() > deadline) {
        await c.kill("SIGKILL");
        throw new Error(`redis-server did not start on port ${port}: ${c.stdout().slice(-300)}`);
      }
      await pause(25);
    }
  };
  await launch();
  return {
    url: `redis://127.0.0.1:${port}`,
    kill9: async () => void (await child?.kill("SIGKILL")),
    restart: launch,
    stall: () => child?.signal("SIGSTOP"),
    resume: () => child?.signal("SIGCONT"),
    stop: async () => void (await child?.kill("SIGTERM")),
  };
}

/** True when something answers PING with PONG on the port. */
function ping(port: number): Promise<boolean> {
  return new Promise((resolve) => {
    const socket = createConnection({ host: "127.0.0.1", port });
    let reply = "";
    const done = (ok: boolean) => {
      socket.destroy();
      resolve(ok);
    };
    socket.setTimeout(500, () => done(false));
    socket.on("error", () => done(false));
    socket.on("connect", () => socket.write("PING\r\n"));
    socket.on("data", (d) => {
      reply += d;
      if (reply.includes("\r\n")) done(reply.startsWith("+PONG"));
    });
  });
}

export function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const srv = createServer();
    srv.once("error", reject);
    srv.listen(0, "127.0.0.1", () => {
      const addr = srv.address();
      srv.close(() => (typeof addr === "object" && addr ? resolve(addr.port) : reject()));
    });
  });
}
