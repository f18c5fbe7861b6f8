// The agents' Streamable HTTP transport on a long-lived session: the SDK transport leaves one abort
// listener per request on its signal (Node warns past 1,500); ours leaves none behind.
import { type ChildProcess, spawn } from "node:child_process";
import { join } from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { ROOT, tempHome } from "../support/agov.js";

const TSX = join(ROOT, "node_modules", "tsx", "dist", "cli.mjs");

function run(args: string[]): Promise<{ code: number; stderr: string; stdout: string }> {
  return new Promise((resolve) => {
    const child = spawn(process.execPath, [TSX, ...args], { cwd: ROOT });
    let stderr = "";
    let stdout = "";
    child.stderr.on("data", (d) => (stderr += d));
    child.stdout.on("data", (d) => (stdout += d));
    child.on("close", (code) => resolve({ code: code ?? -1, stderr, stdout }));
  });
}

describe("agents' Streamable HTTP transport", () => {
  let server: ChildProcess;
  let url: string;
  beforeAll(async () => {
    // The bare SDK server answers each call on an SSE stream, which is what leaks listeners.
    server = spawn(process.execPath, [
      TSX,
      join(ROOT, "bench", "bare-server.ts"),
      "http",
      tempHome(),
    ]);
    url = await new Promise<string>((resolve) => {
      let err = "";
      server.stderr!.on("data", (d) => {
        err += d;
        const m = /listening on (\S+)/.exec(err);
        if (m) resolve(m[1]!);
      });
    });
  });
  afterAll(() => {
    server.kill();
  });

  it("makes 2,000 calls on one session without a MaxListenersExceededWarning", async () => {
    const script = join(ROOT, "test", "support", "http-calls.ts");
    const bare = await run([script, url, "bare", "2000"]);
    expect(bare.stdout).toContain("done");
    expect(bare.stderr).toMatch(/MaxListenersExceededWarning/); // the SDK transport alone leaks
    const ours = await run([script, url, "agents", "2000"]);
    expect(ours.code, ours.stderr).toBe(0);
    expect(ours.stdout).toContain("done");
    expect(ours.stderr).not.toMatch(/MaxListeners/);
  });
});
