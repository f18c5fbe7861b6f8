// What every command needs: the validated config, a stderr logger and, lazily, the runtime.
import pino, { type Logger } from "pino";
import type { Config } from "../config/index.js";
import { createRuntime, type Runtime } from "../runtime.js";

export interface CliContext {
  config: Config;
  log: Logger;
  out: (text: string) => void;
  err: (text: string) => void;
  runtime(): Promise<Runtime>;
  close(): Promise<void>;
}

export function createCliContext(
  config: Config,
  io: { out: (t: string) => void; err: (t: string) => void },
): CliContext {
  // Logs always go to stderr: in stdio mode stdout carries nothing but protocol.
  // Written synchronously: logs are few, and a line must not arrive after what follows it on
  // stderr (or be lost when the process exits).
  const log = pino(
    { level: config.log_level, base: { name: "agov" } },
    pino.destination({ dest: 2, sync: true }),
  );
  let rt: Promise<Runtime> | undefined;
  return {
    config,
    log,
    ...io,
    runtime: () => {
      rt ??= createRuntime(config, { log });
      return rt;
    },
    async close() {
      if (rt) await (await rt).close();
    },
  };
}
