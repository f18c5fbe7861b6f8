// The agents' Streamable HTTP transport on a long-lived session. The SDK transport passes one
// long-lived signal to every fetch, whose abort listeners go only when the garbage collector gets
// to them (Node warns past 1,500 — how soon depends on GC timing, so it is not asserted here);
// ours links a per-request signal and removes its listener when the response has been read.
import { type ChildProcess, spawn } from "node:child_process";
import { getEventListeners } from "node:events";
import { join } from "node:path";
import { Client } from "@modelcontextprotocol/sdk/client/index.js";
import { StreamableHTTPClientTransport } from "@modelcontextprotocol/sdk/client/streamableHttp.js";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { scopedFetch } from "../../agents/transports.js";
import { ROOT, tempHome } from "../support/agov.js";

const TSX = join(ROOT, "node_modules", "tsx", "dist", "cli.mjs");

async function listenersAfter(url: string, calls: number, fetch?: typeof scopedFetch) {
  const transport = new StreamableHTTPClientTransport(new URL(url), fetch ? { fetch } : {});
  const client = new Client({ name: "calls", version: "1.0.0" });
  await client.connect(transport);
  try {
    for (let i = 0; i < calls; i++) {
      const r = await client.callTool({ name: "noop", arguments: {} });
      expect(r.isError).toBeFalsy();
    }
    const signal = (transport as unknown as { _abortController: AbortController })._abortController
      .signal;
    return getEventListeners(signal, "abort").length;
  } finally {
    await client.close();
  }
}

describe("agents' Streamable HTTP transport", () => {
  let server: ChildProcess;
  let url: string;
  beforeAll(async () => {
    // The bare SDK server answers each call on its own SSE stream, as agov does.
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

  it("leaves no abort listener per call on the session's signal", async () => {
    expect(await listenersAfter(url, 300, scopedFetch)).toBeLessThanOrEqual(3);
  });
});
