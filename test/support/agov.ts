// Drives the real `agov` binary: CLI runs, stdio servers and HTTP servers, each on its own
// AGOV_HOME, connected to with the real MCP SDK client.
import { type ChildProcess, spawn } from "node:child_process";
import { mkdtempSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { Client } from "@modelcontextprotocol/sdk/client/index.js";
import { StdioClientTransport } from "@modelcontextprotocol/sdk/client/stdio.js";
import { StreamableHTTPClientTransport } from "@modelcontextprotocol/sdk/client/streamableHttp.js";

export const ROOT = join(import.meta.dirname, "..", "..");
export const BIN = join(ROOT, "bin", "agov.js");

export function tempHome(prefix = "agov-e2e-"): string {
  return mkdtempSync(join(tmpdir(), prefix));
}

/** The environment a fresh user has: no agov variables except those given. */
export function cleanEnv(extra: Record<string, string>): Record<string, string> {
  const env: Record<string, string> = {};
  for (const [k, v] of Object.entries(process.env)) {
    if (v !== undefined && !/^(AGOV_|VAULT_|REDIS_URL|OPENAI_|OPENROUTER_|GITHUB_TOKEN)/.test(k))
      env[k] = v;
  }
  return { ...env, AGOV_LOG_LEVEL: "warn", ...extra };
}

export interface CliResult {
  code: number;
  stdout: string;
  stderr: string;
}

export function agov(args: string[], env: Record<string, string>, cwd = ROOT): Promise<CliResult> {
  return new Promise((resolve, reject) => {
    const child = spawn(process.execPath, [BIN, ...args], {
      env: cleanEnv(env),
      cwd,
      stdio: ["ignore", "pipe", "pipe"],
    });
    let stdout = "";
    let stderr = "";
    child.stdout.on("data", (d) => (stdout += d));
    child.stderr.on("data", (d) => (stderr += d));
    child.on("error", reject);
    child.on("close", (code) => resolve({ code: code ?? -1, stdout, stderr }));
  });
}

export async function issueToken(
  home: string,
  agent: string,
  tier: number,
  extra: string[] = [],
): Promise<string> {
  const r = await agov(
    ["token", "issue", "--agent", agent, "--tier", String(tier), "--json", ...extra],
    { AGOV_HOME: home },
  );
  if (r.code !== 0) throw new Error(`token issue failed: ${r.stderr}`);
  return (JSON.parse(r.stdout) as { token: string }).token;
}

/** Launches `agov serve` exactly as Claude Desktop does: command + args + env, over stdio. */
export async function stdioClient(
  home: string,
  token: string,
  extraEnv: Record<string, string> = {},
) {
  const transport = new StdioClientTransport({
    command: process.execPath,
    args: [BIN, "serve"],
    env: cleanEnv({ AGOV_HOME: home, AGOV_TOKEN: token, ...extraEnv }),
    stderr: "pipe",
  });
  let stderr = "";
  transport.stderr?.on("data", (d) => (stderr += d));
  const client = new Client({ name: "e2e-client", version: "1.0.0" });
  await client.connect(transport);
  return { client, stderr: () => stderr, close: () => client.close() };
}

/** Starts `agov serve --http 0` (with more `args`, e.g. --host) and waits for the URL it prints. */
export async function httpServer(
  home: string,
  extraEnv: Record<string, string> = {},
  args: string[] = [],
): Promise<{ url: string; child: ChildProcess; stderr(): string; stop(): Promise<void> }> {
  let err = "";
  const child = spawn(process.execPath, [BIN, "serve", "--http", "0", ...args], {
    env: cleanEnv({ AGOV_HOME: home, ...extraEnv }),
    stdio: ["ignore", "pipe", "pipe"],
  });
  const url = await new Promise<string>((resolve, reject) => {
    const timer = setTimeout(
      () => reject(new Error(`agov serve --http did not start: ${err}`)),
      20_000,
    );
    child.stderr!.on("data", (d) => {
      err += d;
      const m = /listening on (\S+)/.exec(err);
      if (m) {
        clearTimeout(timer);
        resolve(m[1]!);
      }
    });
    child.on("exit", (code) => reject(new Error(`agov serve exited ${code}: ${err}`)));
  });
  return {
    url,
    child,
    stderr: () => err,
    stop: () =>
      new Promise<void>((resolve) => {
        if (child.exitCode !== null) return resolve();
        child.once("exit", () => resolve());
        child.kill("SIGTERM");
      }),
  };
}

export async function httpClient(url: string, token: string) {
  const transport = new StreamableHTTPClientTransport(new URL(url), {
    requestInit: { headers: { Authorization: `Bearer ${token}` } },
  });
  const client = new Client({ name: "e2e-http-client", version: "1.0.0" });
  await client.connect(transport);
  return { client, transport, close: () => client.close() };
}

export function textOf(result: unknown): string {
  const r = result as { content?: unknown };
  const content = (r.content ?? []) as Array<{ type: string; text?: string }>;
  return content.map((c) => c.text ?? "").join("\n");
}
