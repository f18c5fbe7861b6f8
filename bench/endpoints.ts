// The clients a case calls through, per transport. In-process: servers in this process over the
// SDK's in-memory pair. stdio: child processes launched as an MCP client launches them (the real
// `agov serve` from dist/, one per agent, since stdio binds AGOV_TOKEN). HTTP: `agov serve --http 0`
// and the bare server on loopback ports, several sessions each.
import { type ChildProcess, spawn } from "node:child_process";
import { join } from "node:path";
import type { Client } from "@modelcontextprotocol/sdk/client/index.js";
import { StdioClientTransport } from "@modelcontextprotocol/sdk/client/stdio.js";
import { StreamableHTTPClientTransport } from "@modelcontextprotocol/sdk/client/streamableHttp.js";
import { InMemoryTransport } from "@modelcontextprotocol/sdk/inMemory.js";
import { httpTransport, scopedFetch } from "../agents/transports.js";
import { connectInMemory } from "../src/server/memory.js";
import { createBareServer } from "./bare-server.js";
import { client, type Packet, type World } from "./world.js";

export const TRANSPORTS = ["inproc", "stdio", "http"] as const;
export type TransportName = (typeof TRANSPORTS)[number];

export const ROOT = join(import.meta.dirname, "..");
export const AGOV = join(ROOT, "bin", "agov.js");
const TSX = join(ROOT, "node_modules", "tsx", "dist", "cli.mjs");
const BARE = join(ROOT, "bench", "bare-server.ts");

/** Per side, the clients a case spreads its workers over (worker w uses clients[w % length]). */
export interface Endpoint {
  bare: Client[];
  governed: Record<Packet, Client[]>;
  close(): Promise<void>;
}

const times = <T>(n: number, f: () => Promise<T>) => Promise.all(Array.from({ length: n }, f));

export async function open(world: World, name: TransportName, pool: number): Promise<Endpoint> {
  const bareArgs = (mode: string) => [
    TSX,
    BARE,
    mode,
    world.home,
    ...(world.redisUrl ? [world.redisUrl] : []),
  ];
  const children: ChildProcess[] = [];
  let clients: Endpoint["bare"];
  let governed: Endpoint["governed"];
  if (name === "inproc") {
    clients = await times(pool, async () => {
      const [a, b] = InMemoryTransport.createLinkedPair();
      await createBareServer(world.bareState).connect(b);
      return client(a);
    });
    const gov = (p: Packet) =>
      times(pool, async () =>
        client((await connectInMemory(world.gateway, world.tokens[p])).transport),
      );
    governed = { free: await gov("free"), held: await gov("held") };
  } else if (name === "stdio") {
    const stdio = (args: string[], token?: string) =>
      client(
        new StdioClientTransport({
          command: process.execPath,
          args,
          env: { ...world.env, ...(token ? { AGOV_TOKEN: token } : {}) },
          stderr: "inherit",
        }),
      );
    clients = [await stdio(bareArgs("stdio"))];
    governed = {
      free: [await stdio([AGOV, "serve"], world.tokens.free)],
      held: [await stdio([AGOV, "serve"], world.tokens.held)],
    };
  } else {
    const bareProc = serveChild(bareArgs("http"), world.env);
    const govProc = serveChild([AGOV, "serve", "--http", "0"], world.env);
    children.push(bareProc.child, govProc.child);
    const [bareUrl, govUrl] = await Promise.all([bareProc.url, govProc.url]);
    clients = await times(pool, () =>
      client(new StreamableHTTPClientTransport(new URL(bareUrl), { fetch: scopedFetch })),
    );
    const gov = (p: Packet) => times(pool, () => client(httpTransport(govUrl, world.tokens[p])));
    governed = { free: await gov("free"), held: await gov("held") };
  }
  return {
    bare: clients,
    governed,
    async close() {
      const all = [...clients, ...governed.free, ...governed.held];
      await Promise.allSettled(all.map((c) => c.close()));
      for (const c of children) c.kill();
    },
  };
}

/** A server child on a loopback port; resolves the URL it prints on stderr. */
function serveChild(args: string[], env: Record<string, string>) {
  const child = spawn(process.execPath, args, { env, stdio: ["ignore", "ignore", "pipe"] });
  const url = new Promise<string>((resolve, reject) => {
    let buf = "";
    let found = false;
    child.stderr!.on("data", (d) => {
      // Once listening, whatever the server says (a warning, a crash) is shown as it comes.
      if (found) return void process.stderr.write(d);
      buf += d;
      const m = buf.match(/listening on (http\S+)/);
      if (m) {
        found = true;
        resolve(m[1]!);
      }
    });
    child.once("exit", (code) => reject(new Error(`server exited (${code}): ${buf}`)));
  });
  return { child, url };
}
