// The processes a chaos scenario starts — `agov` commands, `agov serve --http`, redis-server —
// kept in one registry so every one of them is killed on every path, failure included.
import { type ChildProcess, spawn } from "node:child_process";

export interface ChaosEnv {
  /** The node binary and bin/agov.js of this agov. */
  node: string;
  bin: string;
  /** The environment children start from: PATH, HOME, TMPDIR; no agov, Vault, Redis or model keys. */
  baseEnv: Record<string, string>;
}

export interface Exit {
  code: number | null;
  signal: NodeJS.Signals | null;
}

export interface Child {
  readonly proc: ChildProcess;
  stderr(): string;
  stdout(): string;
  /** The first match of `re` on stderr, already written or still to come. */
  waitFor(re: RegExp, timeoutMs?: number): Promise<RegExpMatchArray>;
  readonly exit: Promise<Exit>;
  alive(): boolean;
  /** Sends a signal without waiting (SIGSTOP, SIGCONT). */
  signal(signal: NodeJS.Signals): void;
  /** Ends the process and waits for its exit. */
  kill(signal?: "SIGTERM" | "SIGKILL"): Promise<Exit>;
}

export interface CliResult {
  code: number;
  stdout: string;
  stderr: string;
}

export interface Procs {
  /** Runs an agov command to its end (killed after `timeoutMs`). */
  agov(args: string[], env: Record<string, string>, timeoutMs?: number): Promise<CliResult>;
  /** Starts a long-running agov command. */
  start(args: string[], env: Record<string, string>): Child;
  /** Starts any program (redis-server), registered like the rest. */
  spawnRaw(command: string, args: string[]): Child;
  /** SIGKILLs whatever is still running. */
  closeAll(): Promise<void>;
}

/** Variables a chaos child never inherits: each scenario sets its own. */
const OWN = /^(AGOV_|VAULT_|REDIS_URL|OPENAI_|OPENROUTER_)/;

export function cleanBase(env: Record<string, string | undefined>): Record<string, string> {
  const out: Record<string, string> = {};
  for (const [k, v] of Object.entries(env)) if (v !== undefined && !OWN.test(k)) out[k] = v;
  return out;
}

export function createProcs(chaos: ChaosEnv, cwd: string): Procs {
  const live = new Set<Child>();
  const spawnRaw = (command: string, args: string[], env?: Record<string, string>): Child => {
    const proc = spawn(command, args, { cwd, env, stdio: ["ignore", "pipe", "pipe"] });
    const child = watch(proc);
    live.add(child);
    void child.exit.then(() => live.delete(child));
    return child;
  };
  const start = (args: string[], env: Record<string, string>) =>
    spawnRaw(chaos.node, [chaos.bin, ...args], {
      ...chaos.baseEnv,
      AGOV_LOG_LEVEL: "warn",
      ...env,
    });
  return {
    start,
    spawnRaw: (command, args) => spawnRaw(command, args),
    async agov(args, env, timeoutMs = 60_000) {
      const child = start(args, env);
      const timer = setTimeout(() => void child.kill("SIGKILL"), timeoutMs);
      const { code, signal } = await child.exit;
      clearTimeout(timer);
      const stderr = signal ? `${child.stderr()}\n(killed by ${signal})` : child.stderr();
      return { code: code ?? -1, stdout: child.stdout(), stderr };
    },
    async closeAll() {
      await Promise.all([...live].map((c) => c.kill("SIGKILL")));
    },
  };
}

function watch(proc: ChildProcess): Child {
  let err = "";
  let out = "";
  const waiters = new Set<() => void>();
  proc.stdout?.on("data", (d) => (out += d));
  proc.stderr?.on("data", (d) => {
    err += d;
    for (const w of waiters) w();
  });
  const exit = new Promise<Exit>((resolve) => {
    proc.once("exit", (code, signal) => resolve({ code, signal }));
    proc.once("error", () => resolve({ code: -1, signal: null }));
  });
  // A chaos run that dies itself must not leave its servers behind.
  const reap = () => proc.kill("SIGKILL");
  process.once("exit", reap);
  void exit.then(() => process.off("exit", reap));
  let ended = false;
  void exit.then(() => {
    ended = true;
    for (const w of waiters) w();
  });
  return {
    proc,
    exit,
    stderr: () => err,
    stdout: () => out,
    alive: () => !ended,
    signal(signal) {
      if (!ended) proc.kill(signal);
    },
    async kill(signal = "SIGTERM") {
      if (!ended) {
        proc.kill(signal);
        // A stopped process must see its SIGTERM too.
        if (signal === "SIGTERM") proc.kill("SIGCONT");
      }
      return exit;
    },
    waitFor(re, timeoutMs = 30_000) {
      return new Promise((resolve, reject) => {
        const timer = setTimeout(() => {
          waiters.delete(check);
          reject(new Error(`no ${re} within ${timeoutMs} ms; stderr ends: ${err.slice(-400)}`));
        }, timeoutMs);
        function check() {
          const m = err.match(re);
          if (!m && !ended) return;
          clearTimeout(timer);
          waiters.delete(check);
          if (m) resolve(m);
          else reject(new Error(`exited before ${re}; stderr ends: ${err.slice(-400)}`));
        }
        waiters.add(check);
        check();
      });
    },
  };
}
