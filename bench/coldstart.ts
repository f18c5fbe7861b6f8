// Cold start: from launching the server to the answer of the first tools/list over stdio, as an
// MCP client sees it. `agov serve` (from dist/) against the smallest SDK server in plain
// JavaScript, launched alternately, `runs` pairs; the ratio is agov ÷ bare per pair.
import { join } from "node:path";
import { StdioClientTransport } from "@modelcontextprotocol/sdk/client/stdio.js";
import { AGOV, ROOT } from "./endpoints.js";
import { spread } from "./harness.js";
import { client, type World } from "./world.js";

export interface ColdStart {
  runs: number;
  bareMs: number[];
  agovMs: number[];
  ratios: number[];
}

async function firstList(args: string[], env: Record<string, string>): Promise<number> {
  const start = performance.now();
  const c = await client(
    new StdioClientTransport({ command: process.execPath, args, env, stderr: "inherit" }),
  );
  const { tools } = await c.listTools();
  const ms = performance.now() - start;
  await c.close();
  if (tools.length === 0) throw new Error(`${args.join(" ")} listed no tools`);
  return ms;
}

export async function coldStart(world: World, runs: number): Promise<ColdStart> {
  const bare = [join(ROOT, "bench", "bare-noop.mjs")];
  const agov = [AGOV, "serve"];
  const env = { ...world.env, AGOV_TOKEN: world.tokens.free };
  // One of each first, untimed, so the file cache is warm for both.
  await firstList(bare, env);
  await firstList(agov, env);
  const out: ColdStart = { runs, bareMs: [], agovMs: [], ratios: [] };
  for (let i = 0; i < runs; i++) {
    const agovFirst = i % 2 === 1;
    const a = agovFirst ? await firstList(agov, env) : 0;
    const b = await firstList(bare, env);
    const g = agovFirst ? a : await firstList(agov, env);
    out.bareMs.push(b);
    out.agovMs.push(g);
    out.ratios.push(g / b);
  }
  return out;
}

export function coldStartTable(c: ColdStart): string {
  const f = (xs: number[]) => spread(xs).median.toFixed(0);
  const r = spread(c.ratios);
  const met = r.median <= 1.3 ? "met" : "**MISSED**";
  return [
    "| cold start to first tools/list (stdio) | bare SDK ms (median) | agov serve ms (median) | ratio min / median / max | target |",
    "|---|---:|---:|---:|---:|",
    `| ${c.runs} runs each, alternated | ${f(c.bareMs)} | ${f(c.agovMs)} | ${r.min.toFixed(2)} / ${r.median.toFixed(2)} / ${r.max.toFixed(2)} | ≤ 1.3 ${met} |`,
  ].join("\n");
}
