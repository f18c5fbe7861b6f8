// agov console: the web console of a running `agov serve --http` (served at /console). Prints its
// address, checks the server answers, and opens it in a browser when this machine has an opener
// (xdg-open, open); no opener is not a failure, the address is printed either way.
import { spawn } from "node:child_process";
import { type Parsed, UsageError } from "./args.js";
import type { CONSOLE } from "./commands.js";
import type { CliContext } from "./context.js";

export const DEFAULT_CONSOLE_SERVER = "http://127.0.0.1:8787";

export async function openConsole(
  { values }: Parsed<typeof CONSOLE>,
  ctx: CliContext,
): Promise<number> {
  const given = values.url ?? ctx.config.http_public_url ?? DEFAULT_CONSOLE_SERVER;
  let base: URL;
  try {
    base = new URL(given);
  } catch {
    throw new UsageError(
      `console: --url: expected the server's address, e.g. ${DEFAULT_CONSOLE_SERVER}, got "${given}"`,
    );
  }
  if (base.protocol !== "http:" && base.protocol !== "https:")
    throw new UsageError(`console: --url: expected an http:// or https:// address, got "${given}"`);
  const url = `${base.origin}/console`;
  try {
    const res = await fetch(`${base.origin}/healthz`, { signal: AbortSignal.timeout(5000) });
    // 503 is a server that answers with a dependency down: the console still shows it.
    if (res.status !== 200 && res.status !== 503) throw new Error(`HTTP ${res.status}`);
  } catch (err) {
    ctx.err(
      `agov console: no agov server answers at ${base.origin} (${(err as Error).message}); start one with \`agov serve --http 8787\`, or name it with --url`,
    );
    return 1;
  }
  ctx.out(url);
  if (values.print) return 0;
  const opener =
    process.platform === "darwin" ? "open" : process.platform === "win32" ? null : "xdg-open";
  if (!opener) return 0;
  await new Promise<void>((resolve) => {
    const child = spawn(opener, [url], { stdio: "ignore", detached: true });
    child.once("error", () => {
      ctx.err(`agov console: no ${opener} here; open ${url} in a browser and sign in with a token`);
      resolve();
    });
    child.once("spawn", () => {
      child.unref();
      resolve();
    });
  });
  return 0;
}
