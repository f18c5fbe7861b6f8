// agov agent run: one governed agent through one task on its own. A dispatcher a tier above writes
// its instruction packet (generic, or from a template), the agent walks BOOTSTRAP … EXIT with the
// chosen model as an MCP client, and the report lists its phases, artifacts and ledger rows.
// In this process by default; against a running `agov serve --http` with --url (tokens issued
// here on the same AGOV_HOME, or given with --token and --issuer-token).

import { randomBytes } from "node:crypto";
import { AgentStopped } from "../../agents/agent.js";
import { connectGoverned, type GovernedClient } from "../../agents/client.js";
import { watchFaults } from "../../agents/model-watch.js";
import { formatProgress } from "../../agents/progress.js";
import { renderSoloReport, runSolo } from "../../agents/solo.js";
import { httpTransport } from "../../agents/transports.js";
import { TOOLS } from "../../tools/index.js";
import type { Tier } from "../authority/index.js";
import { AGENT_TEMPLATES, type AgentTemplate } from "../governance/templates.js";
import { createGateway } from "../server/gateway.js";
import { connectInMemory } from "../server/memory.js";
import { AgovError } from "../util/errors.js";
import { intOption, type Parsed, UsageError } from "./args.js";
import type { AGENT_RUN } from "./commands.js";
import type { CliContext } from "./context.js";
import { modelFlags, modelFromConfig, refuseUncovered } from "./model-config.js";
import { watchModel } from "./model-health.js";
import { remoteFailure } from "./remote.js";

const CMD = "agent run";

export async function runAgent(
  { values }: Parsed<typeof AGENT_RUN>,
  ctx: CliContext,
): Promise<number> {
  const objective = (values.objective ?? "").trim();
  if (!objective)
    throw new UsageError(`${CMD}: --objective is required, e.g. --objective "Add a staging VPC"`);
  if (objective.length > 4000)
    throw new UsageError(`${CMD}: --objective must be at most 4000 characters`);
  const template = values.template === undefined ? undefined : templateOf(values.template);
  const askedTier = intOption(values.tier, "tier", CMD, 0, 3);
  const timeoutS = intOption(values.timeout, "timeout", CMD, 1, 86_400) ?? 300;
  const url = values.url;
  if (url !== undefined && !/^https?:\/\/\S+$/.test(url))
    throw new UsageError(`${CMD}: --url must be an http(s) URL of agov serve --http, got "${url}"`);
  if ((values.token || values["issuer-token"]) && !url)
    throw new UsageError(
      `${CMD}: --token and --issuer-token need --url (a running agov serve --http)`,
    );
  if (values.token && askedTier !== undefined)
    throw new UsageError(`${CMD}: --tier cannot be used with --token: the token carries the tier`);
  const settings = { ...modelFlags(values, CMD), model: values.model, offline: values.offline };

  const rt = await ctx.runtime();
  const model = watchFaults(watchModel(modelFromConfig(ctx.config, settings), rt.health));
  refuseUncovered(model, objective, CMD);
  const suffix = randomBytes(3).toString("hex");
  const taskId = `agent-task-${suffix}`;
  const issued: string[] = [];
  const closers: Array<() => Promise<void>> = [];
  const gateway = url ? null : createGateway(rt, TOOLS);

  const connect = async (agentId: string, token: string): Promise<GovernedClient> => {
    if (!gateway)
      return connectGoverned(agentId, httpTransport(url!, token)).catch((err: unknown) => {
        throw remoteFailure(url!, err, "is `agov serve --http` running there?");
      });
    const conn = await connectInMemory(gateway, token);
    closers.push(() => conn.close());
    return connectGoverned(agentId, conn.transport);
  };
  const issue = async (agentId: string, tier: number) => {
    issued.push(agentId);
    const { token } = await rt.authority.issue({
      agent_id: agentId,
      tier: tier as Tier,
      ttl_ms: (timeoutS + 300) * 1000,
    });
    return token;
  };

  const abort = new AbortController();
  const timer = setTimeout(() => abort.abort(), timeoutS * 1000);
  const stop = (signal: NodeJS.Signals) => {
    abort.abort();
    void withdraw().finally(() => process.exit(signal === "SIGINT" ? 130 : 143));
  };
  const withdraw = () =>
    Promise.allSettled(issued.splice(0).map((id) => rt.authority.revokeAgent(id)));
  process.once("SIGINT", stop);
  process.once("SIGTERM", stop);
  try {
    let agent: GovernedClient;
    let agentId: string;
    let tier: number;
    let issuer: GovernedClient | null = null;
    if (values.token) {
      agent = await connect("agent", values.token);
      const me = await agent.must("whoami");
      agentId = String(me.agent_id);
      tier = Number(me.tier);
      if (values["issuer-token"]) issuer = await connect("issuer", values["issuer-token"]);
    } else {
      tier = askedTier ?? template?.tier ?? 2;
      agentId = `agent-${suffix}`;
      // A packet must come from above the agent's tier.
      const issuerId = `dispatcher-${suffix}`;
      issuer = await connect(issuerId, await issue(issuerId, Math.max(3, tier + 1)));
      agent = await connect(agentId, await issue(agentId, tier));
    }
    closers.push(() => agent.close(), ...(issuer ? [() => issuer!.close()] : []));
    if (issuer) {
      const args = { agent_id: agentId, task_id: taskId, objective };
      await issuer.must("packet_create", template ? template.packet(args) : genericPacket(args));
    } else if (!(await agent.call("packet_get")).ok) {
      throw new AgovError(
        "NOT_FOUND",
        `${agentId} has no instruction packet on ${url}: give --issuer-token (a token a tier above the agent's, T3 or T4) to write one`,
      );
    }
    const packet = await agent.must("packet_get");
    ctx.err(
      `agov agent run  ${agentId} (T${tier})  task ${String(packet.task_id)}  model ${model.name}  ${url ? `server ${url}` : "in process"}`,
    );
    const result = await runSolo({
      client: agent,
      role: "ALPHA",
      agentId,
      taskId: String(packet.task_id),
      objective: String(packet.objective),
      model,
      progress: (e) => {
        const line = formatProgress(e.type === "phase" ? { ...e, role: "agent" } : e);
        if (line) ctx.err(line);
      },
      signal: abort.signal,
      waitMs: 0,
      pollMs: 50,
      counters: { modelCalls: 0 },
    });
    // Stopped while the endpoint was failing: the endpoint is the cause, not the agent.
    const fault = model.fault();
    if (!result.completed && fault?.failing)
      result.error =
        `the model endpoint ${fault.endpoint} (${fault.model}) kept failing: ${fault.failures} ` +
        `failed attempt(s), the last ${fault.kind}: ${fault.message} (${result.error})`;
    const report = { ...result, tier, template: template?.name ?? null };
    ctx.out(values.json ? JSON.stringify(report, null, 2) : renderSoloReport(report));
    ctx.err(
      `agov agent run  ${result.completed ? "completed" : `stopped: ${result.error}`}  ${result.artifacts.length} artifacts  ${result.ledger.rows} ledger rows`,
    );
    return result.completed ? 0 : 1;
  } catch (err) {
    if (err instanceof AgentStopped) throw new UsageError(`${CMD}: ${err.message}`);
    throw err;
  } finally {
    clearTimeout(timer);
    process.off("SIGINT", stop);
    process.off("SIGTERM", stop);
    await Promise.allSettled(closers.map((c) => c()));
    await withdraw();
    gateway?.close();
  }
}

/** "terraform", "ansible", "code-review", or a template's full name. */
function templateOf(name: string): AgentTemplate {
  const t = AGENT_TEMPLATES.find((x) => x.name === name || x.name === `${name}-specialist`);
  if (!t)
    throw new UsageError(
      `${CMD}: --template must be one of ${AGENT_TEMPLATES.map((x) => x.name.replace(/-specialist$/, "")).join(", ")}, got "${name}"`,
    );
  return t;
}

function genericPacket(a: { agent_id: string; task_id: string; objective: string }) {
  return {
    ...a,
    deliverables: ["design"],
    constraints: {
      scope: [`task ${a.task_id}: the objective as given, nothing beyond it`],
      forbidden: ["agent_revoke", "promotion_approve", "packet_create"],
      required_steps: ["record a plan before EXECUTE", "record every deliverable before VERIFY"],
    },
    success_criteria: ["every deliverable recorded", "a report packaged"],
    escalation_rules: ["on repeated model failures, report them with error_report and stop"],
  };
}
