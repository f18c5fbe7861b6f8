// A long-running `agov` child (a pipeline run waiting at a gate, say) whose stderr a test reads as
// it comes, so it can act at the right moment — approve, or kill -9 — without sleeping.
import { type ChildProcess, spawn } from "node:child_process";
import { BIN, cleanEnv, ROOT } from "./agov.js";

export interface AgovChild {
  child: ChildProcess;
  stderr(): string;
  stdout(): string;
  /** Resolves with the first match of `re` in stderr (already written, or to come). */
  waitFor(re: RegExp, timeoutMs?: number): Promise<RegExpMatchArray>;
  exit: Promise<{ code: number | null; signal: NodeJS.Signals | null }>;
}

export function startAgov(args: string[], env: Record<string, string>): AgovChild {
  const child = spawn(process.execPath, [BIN, ...args], {
    env: cleanEnv(env),
    cwd: ROOT,
    stdio: ["ignore", "pipe", "pipe"],
  });
  let err = "";
  let out = "";
  const waiters = new Set<() => void>();
  child.stdout!.on("data", (d) => (out += d));
  child.stderr!.on("data", (d) => {
    err += d;
    for (const w of waiters) w();
  });
  const exit = new Promise<{ code: number | null; signal: NodeJS.Signals | null }>((resolve) =>
    child.on("exit", (code, signal) => resolve({ code, signal })),
  );
  return {
    child,
    stderr: () => err,
    stdout: () => out,
    exit,
    waitFor(re, timeoutMs = 30_000) {
      return new Promise((resolve, reject) => {
        const check = () => {
          const m = err.match(re);
          if (!m) return;
          done();
          resolve(m);
        };
        const timer = setTimeout(() => {
          done();
          reject(new Error(`no ${re} on stderr within ${timeoutMs} ms:\n${err}`));
        }, timeoutMs);
        const done = () => {
          clearTimeout(timer);
          waiters.delete(check);
        };
        void exit.then(() => {
          if (!err.match(re)) {
            done();
            reject(new Error(`agov exited before ${re} appeared:\n${err}`));
          }
        });
        waiters.add(check);
        check();
      });
    },
  };
}
