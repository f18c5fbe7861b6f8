// The official MCP conformance suite (@modelcontextprotocol/conformance, pinned in package.json)
// against the real `agov serve --http`. The suite's client sends no bearer token, so the server
// runs in its documented test mode (--anonymous-tier 0: a T0 identity for requests without one).
// On Node 20 the suite runs through a small shim (test/support/conformance-shim) that supplies
// the fs.globSync it imports from Node 22.
import { execFile } from "node:child_process";
import { mkdirSync, readdirSync, readFileSync, rmSync } from "node:fs";
import { join } from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { httpServer, ROOT, tempHome } from "../support/agov.js";

const SUITE = join(
  ROOT,
  "node_modules",
  "@modelcontextprotocol",
  "conformance",
  "dist",
  "index.js",
);
const SHIM = join(ROOT, "test", "support", "conformance-shim", "register.mjs");

/** The scenarios that apply to any server and are this transport's to pass. */
const SCENARIOS = [
  "server-initialize",
  "ping",
  "tools-list",
  "dns-rebinding-protection",
  "server-sse-multiple-streams",
  "logging-set-level",
  "completion-complete",
  "resources-list",
];

interface Check {
  id: string;
  status: "SUCCESS" | "FAILURE" | "WARNING" | "INFO" | "SKIPPED";
  errorMessage?: string;
}

function runScenario(url: string, scenario: string, out: string) {
  return new Promise<{ code: number; output: string; checks: Check[] }>((resolve) => {
    execFile(
      process.execPath,
      ["--import", SHIM, SUITE, "server", "--url", url, "--scenario", scenario, "-o", out],
      { cwd: out, timeout: 50_000 },
      (err, stdout, stderr) => {
        const code = err ? (typeof err.code === "number" ? err.code : 1) : 0;
        const dir = readdirSync(out).find((d) => d.startsWith(`server-${scenario}-`));
        const checks = dir
          ? (JSON.parse(readFileSync(join(out, dir, "checks.json"), "utf8")) as Check[])
          : [];
        resolve({ code, output: `${stdout}${stderr}`, checks });
      },
    );
  });
}

describe("the official MCP conformance suite against agov serve --http", () => {
  const home = tempHome();
  let server: Awaited<ReturnType<typeof httpServer>>;
  beforeAll(async () => {
    server = await httpServer(home, {}, ["--anonymous-tier", "0"]);
  });
  afterAll(async () => {
    await server.stop();
    rmSync(home, { recursive: true, force: true });
  });

  for (const s of SCENARIOS) {
    it(`passes ${s}`, async () => {
      const out = join(home, `out-${s}`);
      mkdirSync(out, { recursive: true });
      const r = await runScenario(server.url, s, out);
      const failed = r.checks.filter((c) => c.status === "FAILURE");
      expect(failed, r.output).toEqual([]);
      expect(r.checks.filter((c) => c.status === "SUCCESS").length, r.output).toBeGreaterThan(0);
      expect(r.code, r.output).toBe(0);
    });
  }
});
