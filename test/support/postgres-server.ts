// A real PostgreSQL for the ledger suites: initdb in a temp dir, a postmaster on a free loopback
// port with password auth, one fresh database per test; stop() / start() for the outage tests.
import { type ChildProcess, spawn, spawnSync } from "node:child_process";
import {
  chownSync,
  closeSync,
  existsSync,
  mkdtempSync,
  openSync,
  rmSync,
  writeFileSync,
} from "node:fs";
import { createServer } from "node:net";
import { tmpdir } from "node:os";
import { join } from "node:path";
import pg from "pg";

const USER = "agov";
const PASSWORD = "conformance-secret";

/** initdb's folder: on PATH, else Debian's versioned one. */
function binDir(): string | null {
  const onPath = spawnSync("initdb", ["--version"], { stdio: "ignore" });
  if (!onPath.error && onPath.status === 0) return "";
  for (const v of ["17", "16", "15", "14", "13"]) {
    const dir = `/usr/lib/postgresql/${v}/bin`;
    if (existsSync(join(dir, "initdb"))) return dir;
  }
  return null;
}

/**
 * Whether the PostgreSQL suites can run. With CI=true missing binaries are an error (the run must
 * not pass by skipping); locally it prints one line saying how to enable them, and returns false.
 */
export function postgresAvailable(): boolean {
  if (binDir() !== null) return true;
  if (process.env.CI === "true")
    throw new Error("PostgreSQL (initdb) is required when CI=true: apt-get install -y postgresql");
  if (firstToWarn())
    console.warn(
      "⚠ SKIPPING the PostgreSQL suites: initdb is not installed. Enable them with: sudo apt-get install -y postgresql",
    );
  return false;
}

function firstToWarn(): boolean {
  try {
    closeSync(openSync(join(tmpdir(), `agov-postgres-skip-${process.ppid}`), "wx"));
    return true;
  } catch {
    return false;
  }
}

export interface PostgresServer {
  port: number;
  /** A connection URL (with the password) to database `db`. */
  url(db?: string): string;
  /** Creates an empty database and returns its URL. */
  createDatabase(name: string): Promise<string>;
  /** Fast shutdown (clients are disconnected); the data stays for start(). */
  stop(): Promise<void>;
  start(): Promise<void>;
  /** Stops the server and removes its data. */
  destroy(): Promise<void>;
}

/**
 * initdb and postgres refuse to run as root: as root they run as the `postgres` user (or nobody),
 * dropped with setpriv, which execs in place so the child's pid is the postmaster's own.
 */
function asServerUser(dir: string): {
  wrap: (cmd: string, args: string[]) => [string, string[]];
  own: (path: string) => void;
} {
  if (process.getuid?.() !== 0) return { wrap: (cmd, args) => [cmd, args], own: () => {} };
  const who = spawnSync("id", ["-u", "postgres"], { encoding: "utf8" });
  const name = who.status === 0 ? "postgres" : "nobody";
  const uid = Number(spawnSync("id", ["-u", name], { encoding: "utf8" }).stdout.trim());
  const gid = Number(spawnSync("id", ["-g", name], { encoding: "utf8" }).stdout.trim());
  chownSync(dir, uid, gid);
  return {
    own: (path) => chownSync(path, uid, gid),
    wrap: (cmd, args) => [
      "setpriv",
      [`--reuid=${uid}`, `--regid=${gid}`, "--clear-groups", "--", cmd, ...args],
    ],
  };
}

/** `durable`: keep fsync on (benchmarks); tests leave it off, they check the ledger, not the disk. */
export async function startPostgres(opts: { durable?: boolean } = {}): Promise<PostgresServer> {
  const bin = binDir();
  if (bin === null) throw new Error("initdb not found: apt-get install -y postgresql");
  const exe = (name: string) => (bin ? join(bin, name) : name);
  // The server's user must reach its folder: a test run's private TMPDIR is root's alone.
  const dir = mkdtempSync(join(process.getuid?.() === 0 ? "/tmp" : tmpdir(), "agov-pg-"));
  const { wrap, own } = asServerUser(dir);
  const data = join(dir, "data");
  const pwfile = join(dir, "pw");
  writeFileSync(pwfile, `${PASSWORD}\n`, { mode: 0o644 });
  own(pwfile);
  const [cmd, args] = wrap(exe("initdb"), [
    "-D",
    data,
    "-U",
    USER,
    `--pwfile=${pwfile}`,
    "--auth=scram-sha-256",
    "--encoding=UTF8",
    "--locale=C",
    "--no-sync",
  ]);
  const init = spawnSync(cmd, args, { encoding: "utf8" });
  if (init.status !== 0) {
    rmSync(dir, { recursive: true, force: true });
    throw new Error(
      `initdb failed: ${(init.stderr || init.stdout || String(init.error)).slice(-800)}`,
    );
  }

  let port = 0;
  let child: ChildProcess | undefined;
  const launch = async () => {
    const [c, a] = wrap(exe("postgres"), [
      "-D",
      data,
      "-p",
      String(port),
      "-c",
      "listen_addresses=127.0.0.1",
      "-c",
      `unix_socket_directories=${dir}`,
      ...(opts.durable ? [] : ["-c", "fsync=off", "-c", "full_page_writes=off"]),
    ]);
    child = await launchServer(c, a, port);
  };
  for (let attempt = 0; ; attempt++) {
    port = await freePort();
    try {
      await launch();
      break;
    } catch (err) {
      if (attempt >= 4) {
        rmSync(dir, { recursive: true, force: true });
        throw err;
      }
    }
  }
  const url = (db = "postgres") =>
    `postgres://${USER}:${PASSWORD}@127.0.0.1:${port}/${encodeURIComponent(db)}`;
  const stop = async () => {
    const c = child;
    child = undefined;
    if (c && c.exitCode === null && c.signalCode === null) {
      const exited = new Promise<void>((resolve) => c.once("exit", () => resolve()));
      c.kill("SIGINT"); // fast shutdown: SIGTERM would wait for every client to leave
      await exited;
    }
  };
  return {
    port,
    url,
    async createDatabase(name) {
      const client = new pg.Client({ connectionString: url() });
      await client.connect();
      try {
        await client.query(`CREATE DATABASE ${pg.escapeIdentifier(name)}`);
      } finally {
        await client.end();
      }
      return url(name);
    },
    stop,
    start: launch,
    async destroy() {
      await stop();
      rmSync(dir, { recursive: true, force: true });
    },
  };
}

async function launchServer(cmd: string, args: string[], port: number): Promise<ChildProcess> {
  const child = spawn(cmd, args, { stdio: ["ignore", "pipe", "pipe"] });
  // A test run that ends without destroy() (a crash, a timeout) must not leave servers behind.
  const reap = () => child.kill("SIGKILL");
  process.once("exit", reap);
  child.once("exit", () => process.off("exit", reap));
  let output = "";
  child.stdout?.on("data", (d) => (output += d));
  child.stderr?.on("data", (d) => (output += d));
  const deadline = Date.now() + 20_000;
  while (!(await ready(port))) {
    if (child.exitCode !== null || Date.now() > deadline) {
      child.kill("SIGKILL");
      throw new Error(`postgres did not start on port ${port}: ${output.slice(-800)}`);
    }
    await new Promise((r) => setTimeout(r, 50));
  }
  return child;
}

/** True when the server accepts a login and answers a query. */
async function ready(port: number): Promise<boolean> {
  const client = new pg.Client({
    connectionString: `postgres://${USER}:${PASSWORD}@127.0.0.1:${port}/postgres`,
    connectionTimeoutMillis: 1000,
  });
  client.on("error", () => {});
  try {
    await client.connect();
    await client.query("SELECT 1");
    return true;
  } catch {
    return false;
  } finally {
    await client.end().catch(() => {});
  }
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
