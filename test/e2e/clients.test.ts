// The client configurations in docs/clients.md, launched exactly as written (command, args, env,
// with a client's small environment) and driven with the MCP SDK client, as Claude Desktop,
// Claude Code, Cursor and VS Code would.
import { readFileSync } from "node:fs";
import { join } from "node:path";
import { Client } from "@modelcontextprotocol/sdk/client/index.js";
import { StdioClientTransport } from "@modelcontextprotocol/sdk/client/stdio.js";
import { StreamableHTTPClientTransport } from "@modelcontextprotocol/sdk/client/streamableHttp.js";
import { describe, expect, it } from "vitest";
import { agov, httpServer, issueToken, ROOT, tempHome } from "../support/agov.js";

interface StdioEntry {
  command: string;
  args: string[];
  env: Record<string, string>;
}

function documentedEntries(): Array<{ block: number; entry: StdioEntry }> {
  const doc = readFileSync(join(ROOT, "docs", "clients.md"), "utf8");
  const blocks = [...doc.matchAll(/```json\n([\s\S]*?)```/g)].map((m) => JSON.parse(m[1]!));
  return blocks.flatMap((b, block) => {
    const servers = (b.mcpServers ?? b.servers) as Record<string, Partial<StdioEntry>>;
    const agovEntry = servers.agov!;
    return agovEntry.command ? [{ block, entry: agovEntry as StdioEntry }] : [];
  });
}

/** The documented HTTP entries (url and headers), with the token placeholders they use. */
function documentedHttpEntries(): Array<{ url: string; headers: Record<string, string> }> {
  const doc = readFileSync(join(ROOT, "docs", "clients.md"), "utf8");
  return [...doc.matchAll(/```json\n([\s\S]*?)```/g)].flatMap((m) => {
    const b = JSON.parse(m[1]!);
    const e = (b.mcpServers ?? b.servers).agov as {
      url?: string;
      headers?: Record<string, string>;
    };
    return e.url ? [{ url: e.url, headers: e.headers ?? {} }] : [];
  });
}

describe("documented client configurations", () => {
  it("connects with each documented HTTP entry's url and headers", async () => {
    const entries = documentedHttpEntries();
    expect(entries.length).toBeGreaterThanOrEqual(3);
    const home = tempHome("agov-clients-http-");
    const server = await httpServer(home);
    try {
      const token = await issueToken(home, "ide", 1);
      for (const { url, headers } of entries) {
        expect(url).toBe("http://127.0.0.1:8787/mcp");
        // What each client substitutes for its placeholder: ${AGOV_TOKEN}, ${env:…}, ${input:…}.
        const sent = Object.fromEntries(
          Object.entries(headers).map(([k, v]) => [k, v.replace(/\$\{[^}]+\}|agov_…/, token)]),
        );
        const transport = new StreamableHTTPClientTransport(new URL(server.url), {
          requestInit: { headers: sent },
        });
        const client = new Client({ name: "docs-http", version: "1.0.0" });
        await client.connect(transport);
        const who = await client.callTool({ name: "whoami", arguments: {} });
        expect(who.structuredContent).toMatchObject({ agent_id: "ide", tier: 1 });
        await client.close();
      }
    } finally {
      await server.stop();
    }
  });

  const entries = documentedEntries();

  it("documents a stdio entry for Claude Desktop, Claude Code, Cursor and VS Code", () => {
    expect(entries.length).toBeGreaterThanOrEqual(4);
  });

  it("starts each documented entry and serves the token's tier", async () => {
    // A client's environment: PATH and HOME, nothing of ours; agov's files default to ~/.agov.
    const home = tempHome("agov-clients-");
    const issued = await agov(["token", "issue", "--agent", "desktop", "--tier", "1", "--json"], {
      HOME: home,
    });
    expect(issued.code).toBe(0);
    const token = (JSON.parse(issued.stdout) as { token: string }).token;

    for (const { block, entry } of entries) {
      const env = Object.fromEntries(
        Object.entries(entry.env).map(([k, v]) => [k, v === "agov_…" ? token : v]),
      );
      const transport = new StdioClientTransport({
        command: entry.command === "node" ? process.execPath : entry.command,
        args: entry.args.map((a) => a.replace("/path/to/agov", ROOT)),
        env: { PATH: process.env.PATH ?? "", HOME: home, ...env },
        stderr: "pipe",
      });
      const client = new Client({ name: `docs-block-${block}`, version: "1.0.0" });
      await client.connect(transport);
      const names = (await client.listTools()).tools.map((t) => t.name);
      expect(names).toContain("lock_acquire");
      const who = await client.callTool({ name: "whoami", arguments: {} });
      expect(who.isError).toBeFalsy();
      expect(who.structuredContent).toMatchObject({ agent_id: "desktop", tier: 1 });
      await client.close();
    }

    const rows = await agov(
      ["audit", "query", "--agent", "desktop", "--tool", "whoami", "--json"],
      {
        HOME: home,
      },
    );
    expect(JSON.parse(rows.stdout)).toHaveLength(entries.length);
  });
});
