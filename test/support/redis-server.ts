// A real redis-server for the Redis suites: a free loopback port, no persistence, its own temp
// dir; stop() / kill() / restart() for the connection-loss tests. Skips loudly when missing.
import { type ChildProcess, spawn, spawnSync } from "node:child_process";
import { closeSync, mkdtempSync, openSync, rmSync } from "node:fs";
import { createConnection, createServer } from "node:net";
import { tmpdir } from "node:os";
import { join } from "node:path";

const BINARY = "redis-server";

/**
 * Whether the Redis suites can run. With CI=true a missing redis-server is an error (the run must
 * not pass by skipping); locally it prints one line saying how to enable them, and returns false.
 */
export function redisAvailable(): boolean {
  const probe = spawnSync(BINARY, ["--version"], { stdio: "ignore" });
  if (!probe.error && probe.status === 0) return true;
  if (process.env.CI === "true")
    throw new Error("redis-server is required when CI=true: apt-get install -y redis-server");
  if (firstToWarn())
    console.warn(
      "⚠ SKIPPING the Redis suites: redis-server is not installed. Enable them with: sudo apt-get install -y redis-server",
    );
  return false;
}

/** One warning per test run, though each test file runs in its own worker (same parent). */
function firstToWarn(): boolean {
  try {
    closeSync(openSync(join(tmpdir(), `agov-redis-skip-${process.ppid}`), "wx"));
    return true;
  } catch {
    return false;
  }
}

export interface RedisServer {
  url: string;
  port: number;
  /** Graceful shutdown; removes the temp dir. */
  stop(): Promise<void>;
  /** SIGKILL, as a crash: clients see the connection drop. */
  kill(): Promise<void>;
  /** Starts a fresh (empty) server on the same port after kill() or stop(). */
  restart(): Promise<void>;
  /** SIGSTOP / SIGCONT: a server that accepts connections but never answers. */
  freeze(): void;
  thaw(): void;
}

export async function startRedis(): Promise<RedisServer> {
  const dir = mkdtempSync(join(tmpdir(), "agov-redis-"));
  let port = 0;
  let child: ChildProcess | undefined;
  // Another process may take the free port between probing and binding it: try a few.
  for (let attempt = 0; ; attempt++) {
    port = await freePort();
    try {
      child = await launch(port, dir);
      break;
    } catch (err) {
      if (attempt >= 4) {
        rmSync(dir, { recursive: true, force: true });
        throw err;
      }
    }
  }
  const halt = async (signal: NodeJS.Signals) => {
    const c = child;
    child = undefined;
    if (c && c.exitCode === null && c.signalCode === null) {
      const exited = new Promise<void>((resolve) => c.once("exit", () => resolve()));
      c.kill(signal);
      if (signal !== "SIGKILL") c.kill("SIGCONT"); // a frozen server must still see SIGTERM
      await exited;
    }
  };
  return {
    url: `redis://127.0.0.1:${port}`,
    port,
    stop: async () => {
      await halt("SIGTERM");
      rmSync(dir, { recursive: true, force: true });
    },
    kill: () => halt("SIGKILL"),
    restart: async () => {
      await halt("SIGKILL");
      child = await launch(port, dir);
    },
    freeze: () => child?.kill("SIGSTOP"),
    thaw: () => child?.kill("SIGCONT"),
  };
}

async function launch(port: number, dir: string): Promise<ChildProcess> {
  const args = ["--port", String(port), "--bind", "127.0.0.1", "--save", "", "--appendonly", "no"];
  const child = spawn(BINARY, [...args, "--dir", dir], { stdio: ["ignore", "pipe", "pipe"] });
  // A test run that ends without stop() (a crash, a timeout) must not leave servers behind.
  const reap = () => child.kill("SIGKILL");
  process.once("exit", reap);
  child.once("exit", () => process.off("exit", reap));
  let output = "";
  child.stdout?.on("data", (d) => (output += d));
  child.stderr?.on("data", (d) => (output += d));
  const deadline = Date.now() + 10_000;
  while (!(await ping(port))) {
    if (child.exitCode !== null || Date.now() > deadline) {
      child.kill("SIGKILL");
      throw new Error(`redis-server did not start on port ${port}: ${output.slice(-500)}`);
    }
    await new Promise((r) => setTimeout(r, 25));
  }
  return child;
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

function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const srv = createServer();
    srv.once("error", reject);
    srv.listen(0, "127.0.0.1", () => {
      const addr = srv.address();
      srv.close(() => (typeof addr === "object" && addr ? resolve(addr.port) : reject()));
    });
  });
}
