// agov run "<objective>": the bundled multi-agent runner. ALPHA and BETA (and GAMMA when a spawn
// condition fires) work the objective as governed MCP clients of agov: in-process by default,
// or through `agov serve` over stdio, or against a running `agov serve --http`.

import { randomBytes } from "node:crypto";
import { writeFileSync } from "node:fs";
import { join } from "node:path";
import { AgentStopped } from "../../agents/agent.js";
import { connectGoverned } from "../../agents/client.js";
import { PARTICIPANT_TIERS, type Participant, runTask } from "../../agents/orchestrator.js";
import { formatProgress } from "../../agents/progress.js";
import { renderReport } from "../../agents/result.js";
import { httpTransport, stdioTransport } from "../../agents/transports.js";
import { TOOLS } from "../../tools/index.js";
import type { Tier } from "../authority/index.js";
import { AGENT_TEMPLATES, type AgentTemplate } from "../governance/templates.js";
import { createGateway } from "../server/gateway.js";
import { connectInMemory } from "../server/memory.js";
import { packageRoot } from "../util/paths.js";
import { intOption, type Parsed, UsageError } from "./args.js";
import type { RUN } from "./commands.js";
import type { CliContext } from "./context.js";
import { modelFlags, modelFromConfig, refuseUncovered } from "./model-config.js";
import { watchModel } from "./model-health.js";
import { remoteFailure } from "./remote.js";

export async function run(
  { values, positionals }: Parsed<typeof RUN>,
  ctx: CliContext,
): Promise<number> {
  const objective = positionals.join(" ").trim();
  if (!objective)
    throw new UsageError('run: give the objective, e.g. agov run "Design a data platform"');
  if (objective.length > 4000)
    throw new UsageError("run: the objective must be at most 4000 characters");
  const timeoutS = intOption(values.timeout, "timeout", "run", 1, 86_400) ?? 120;
  const replacements = intOption(values.replacements, "replacements", "run", 0, 20);
  const chosen = specialistsOf(values.agents);
  const settings = modelFlags(values, "run");
  const server = values.server ?? "memory";
  if (!["memory", "stdio"].includes(server) && !/^https?:\/\/\S+$/.test(server))
    throw new UsageError(`run: --server must be memory, stdio or an http(s) URL, got "${server}"`);

  const rt = await ctx.runtime();
  const gateway = createGateway(rt, TOOLS);
  const suffix = randomBytes(3).toString("hex");
  const taskId = `run-${suffix}`;
  const agentIds: Record<Participant, string> = {
    ORCHESTRATOR: `orchestrator-${suffix}`,
    ALPHA: `alpha-${suffix}`,
    BETA: `beta-${suffix}`,
    GAMMA: `gamma-${suffix}`,
  };
  const ttl_ms = (timeoutS + 300) * 1000;
  const memory: Array<{ close(): Promise<void> }> = [];
  // The run's agents live as long as the run: their tokens are withdrawn when it ends, however.
  const issued: string[] = [];
  const withdraw = () =>
    Promise.allSettled(issued.splice(0).map((id) => rt.authority.revokeAgent(id)));
  const stop = (signal: NodeJS.Signals) => {
    void withdraw().finally(() => process.exit(signal === "SIGINT" ? 130 : 143));
  };
  process.once("SIGINT", stop);
  process.once("SIGTERM", stop);
  const specialists = chosen.map((c) => ({ ...c, id: `${c.name}-${suffix}` }));
  const connect = async (who: Participant, agentId: string, tier?: number) => {
    issued.push(agentId);
    const { token } = await rt.authority.issue({
      agent_id: agentId,
      tier: (tier ?? PARTICIPANT_TIERS[who]) as Tier,
      ttl_ms,
    });
    if (server === "memory") {
      const conn = await connectInMemory(gateway, token);
      memory.push(conn);
      return connectGoverned(agentId, conn.transport);
    }
    if (server === "stdio")
      return connectGoverned(
        agentId,
        stdioTransport({
          command: process.execPath,
          args: [join(packageRoot(), "bin", "agov.js"), "serve"],
          env: childEnv(ctx),
          token,
        }),
      );
    return connectGoverned(agentId, httpTransport(server, token)).catch((err: unknown) => {
      throw remoteFailure(
        server,
        err,
        `for ${agentId}; is \`agov serve --http\` running there, on this AGOV_HOME?`,
      );
    });
  };

  const model = watchModel(modelFromConfig(ctx.config, settings), rt.health);
  refuseUncovered(model, objective, "run");
  const rowsBefore = await rt.ledger.count();
  ctx.err(`agov run  task ${taskId}  model ${model.name}  server ${server}`);
  try {
    const result = await runTask({
      objective,
      taskId,
      agentIds,
      connect,
      model,
      timeoutMs: timeoutS * 1000,
      replacements: replacements ?? ctx.config.replacements,
      specialists,
      onProgress: (e) => {
        const line = formatProgress(e);
        if (line) ctx.err(line);
      },
    });
    result.metrics.ledger_rows = (await rt.ledger.count()) - rowsBefore;
    const report = renderReport(result);
    if (values.out) writeFileSync(values.out, report);
    ctx.out(
      values.json
        ? JSON.stringify(result, null, 2)
        : values.out
          ? `report written to ${values.out}`
          : report,
    );
    ctx.err(
      `agov run  ${result.outcome.consensus ? `consensus on "${result.outcome.title}"` : "no consensus"}  ${(result.metrics.duration_ms / 1000).toFixed(1)} s  ${result.metrics.governance_calls} governed calls  ${result.metrics.ledger_rows} ledger rows`,
    );
    if (result.outcome.consensus && !result.timed_out) return 0;
    ctx.err(`agov run: no consensus: ${result.outcome.reason}`);
    return 1;
  } catch (err) {
    if (err instanceof AgentStopped) throw new UsageError(`run: ${err.message}`);
    throw err;
  } finally {
    process.off("SIGINT", stop);
    process.off("SIGTERM", stop);
    await Promise.allSettled(memory.map((m) => m.close()));
    await withdraw();
    gateway.close();
  }
}

/** --agents: ALPHA and BETA always, and any specialists from the agent templates beside them. */
function specialistsOf(list: string | undefined): Array<{ name: string; template: AgentTemplate }> {
  if (list === undefined) return [];
  const names = list.split(",").map((n) => n.trim().toLowerCase());
  const known = AGENT_TEMPLATES.map((t) => t.name.replace(/-specialist$/, ""));
  const wrong = (why: string) =>
    new UsageError(
      `run: --agents ${why}; give alpha,beta and any of ${known.join(", ")}, e.g. --agents alpha,beta,terraform`,
    );
  if (!names.includes("alpha") || !names.includes("beta"))
    throw wrong("must include alpha and beta");
  if (new Set(names).size !== names.length) throw wrong("names an agent twice");
  const out: Array<{ name: string; template: AgentTemplate }> = [];
  for (const name of names) {
    if (name === "alpha" || name === "beta") continue;
    if (name === "gamma")
      throw wrong("cannot name gamma (the mediator is spawned when a condition fires)");
    const template = AGENT_TEMPLATES.find(
      (t) => t.name === `${name}-specialist` || t.name === name,
    );
    if (!template) throw wrong(`has an unknown agent "${name}"`);
    out.push({ name: template.name.replace(/-specialist$/, ""), template });
  }
  return out;
}

/** The environment of a child `agov serve`: this one (PATH, HOME) with the same agov home. */
function childEnv(ctx: CliContext): Record<string, string> {
  const env: Record<string, string> = {};
  for (const [k, v] of Object.entries(process.env)) if (v !== undefined) env[k] = v;
  return { ...env, AGOV_HOME: ctx.config.home, AGOV_LOG_LEVEL: "warn" };
}
