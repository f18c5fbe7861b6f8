// The orchestrator: gives ALPHA and BETA their packets, runs them in parallel, watches the task's
// spawn conditions (re-evaluated when agov says they changed, or when a heartbeat would go stale)
// and spawns GAMMA on STUCK, CONFLICT, COMPLEXITY or SUCCESS, then gathers the outcome. It is an
// MCP client like the agents; it never touches agov's internals.
import type { AgentEnv, AgentHooks } from "./agent.js";
import { AgentStopped } from "./agent.js";
import { AgentRevoked, type GovernedClient } from "./client.js";
import { runGamma } from "./gamma.js";
import type { AgentRole, Model } from "./model.js";
import { runPeer } from "./peer.js";
import type { ProgressEvent } from "./progress.js";
import { collectOutcome, type RunResult } from "./result.js";
import { type After, nextLook, spawnWatch } from "./watch.js";

export type Participant = "ORCHESTRATOR" | AgentRole;

export interface RunOptions {
  objective: string;
  taskId: string;
  /** Agent id for each participant (fresh per run: a revoked id can never run again). */
  agentIds: Record<Participant, string>;
  /** Connects a participant to agov with its own token and session. */
  connect(who: Participant, agentId: string): Promise<GovernedClient>;
  model: Model;
  timeoutMs: number;
  /**
   * How often to look at spawn_conditions when agov offers no resource subscriptions (the seed's
   * 2 s poll); with them, the orchestrator looks only when notified or when a heartbeat goes stale.
   */
  pollMs?: number;
  /** Agents' inbox polling interval, likewise only without subscriptions. */
  agentPollMs?: number;
  /**
   * How to wait until a heartbeat goes stale, in the time agov's STUCK rule counts (real timers by
   * default; a test passes its manual clock's wait).
   */
  after?: After;
  /** How long a peer waits for the other's message before going on. */
  waitMs?: number;
  onProgress?(e: ProgressEvent): void;
  hooks?: AgentHooks;
}

const TIERS: Record<Participant, number> = { ORCHESTRATOR: 3, ALPHA: 2, BETA: 2, GAMMA: 2 };
export const PARTICIPANT_TIERS = TIERS;

export async function runTask(opts: RunOptions): Promise<RunResult> {
  const started = Date.now();
  const abort = new AbortController();
  const timer = setTimeout(() => abort.abort(), opts.timeoutMs);
  const events: ProgressEvent[] = [];
  const progress = (e: ProgressEvent) => {
    events.push(e);
    opts.onProgress?.(e);
  };
  const counters = { modelCalls: 0 };
  const clients: GovernedClient[] = [];
  const ids = opts.agentIds;
  const waitMs = opts.waitMs ?? 15_000;
  const revoked = new Map<string, string>();
  let timedOut = false;

  let orchestrator: GovernedClient | undefined;
  const orchOf = () => orchestrator!;
  try {
    orchestrator = await opts.connect("ORCHESTRATOR", ids.ORCHESTRATOR);
    const orch = orchestrator;
    clients.push(orch);
    await orch.must("blackboard_post", {
      task_id: opts.taskId,
      section: "problem",
      key: "objective",
      value: { objective: opts.objective, by: ids.ORCHESTRATOR },
      expected_version: 0,
    });
    for (const role of ["ALPHA", "BETA"] as const) await givePacket(role);

    const env = async (role: AgentRole): Promise<AgentEnv> => {
      const client = await opts.connect(role, ids[role]);
      clients.push(client);
      return {
        client,
        role,
        agentId: ids[role],
        taskId: opts.taskId,
        objective: opts.objective,
        model: opts.model,
        progress,
        signal: abort.signal,
        waitMs,
        pollMs: opts.agentPollMs ?? 50,
        hooks: opts.hooks,
        counters,
      };
    };
    const peerSetup = (peer: string) => ({ peer, rounds: 2, synthesisWaitMs: waitMs * 2 });
    const settle = <T>(role: AgentRole, p: Promise<T>) =>
      p.then(
        (value) => ({ role, ok: true as const, value }),
        (error: unknown) => {
          if (error instanceof AgentRevoked) {
            revoked.set(ids[role], error.message);
            progress({ type: "revoked", agent: ids[role], reason: error.message });
          } else if (!(error instanceof AgentStopped) && !abort.signal.aborted) {
            progress({
              type: "note",
              agent: ids[role],
              text: `stopped: ${(error as Error).message}`,
            });
          }
          return { role, ok: false as const, error };
        },
      );
    const alpha = settle(
      "ALPHA",
      env("ALPHA").then((e) => runPeer(e, peerSetup(ids.BETA))),
    );
    const beta = settle(
      "BETA",
      env("BETA").then((e) => runPeer(e, peerSetup(ids.ALPHA))),
    );
    const peersDone = Promise.all([alpha, beta]);
    let peersFinished = false;
    void peersDone.then(() => {
      peersFinished = true;
    });

    let gamma: Promise<unknown> | null = null;
    let spawn: { reason: string; detail: string } | null = null;
    let gammaDone = false;
    // Subscribed before the first look, so no change between the look and the wait is missed.
    const watch = await spawnWatch(orch, opts.taskId, {
      fallbackMs: opts.pollMs ?? 2000,
      after: opts.after,
    });
    while (!abort.signal.aborted) {
      const r = await orch.call("spawn_conditions", { task_id: opts.taskId });
      if (r.ok && r.data.spawn && !gamma) {
        const conds = r.data.conditions;
        const fired = conds.find((c) => c.fired)!;
        spawn = { reason: fired.condition, detail: fired.detail };
        progress({ type: "spawn", role: "GAMMA", reason: fired.condition, detail: fired.detail });
        const stuck = new Set(conds.find((c) => c.condition === "STUCK")?.agents ?? []);
        const voters = await activeVoters(stuck);
        await givePacket("GAMMA");
        gamma = settle(
          "GAMMA",
          env("GAMMA").then((e) => runGamma(e, { reason: fired.condition, voters })),
        );
        void gamma.then(() => {
          gammaDone = true;
        });
      }
      if (peersFinished && (gamma === null ? !r.ok || !r.data.spawn : true)) break;
      if (gammaDone) break;
      await watch.wait(nextLook(r), abort.signal, gamma ? [gamma, peersDone] : [peersDone]);
    }
    await watch.close();
    if (gamma) await Promise.race([gamma, aborted(abort.signal)]);
    // Peers stalled (STUCK) are stopped once the mediator has settled the task.
    if (!peersFinished) abort.abort();
    await peersDone;
    timedOut = Date.now() - started >= opts.timeoutMs;

    return await collectOutcome({
      orch,
      taskId: opts.taskId,
      objective: opts.objective,
      modelName: opts.model.name,
      agentIds: ids,
      spawn,
      revoked,
      timedOut,
      durationMs: Date.now() - started,
      events,
      modelCalls: counters.modelCalls,
      clients,
    });
  } finally {
    clearTimeout(timer);
    abort.abort();
    await Promise.allSettled(clients.map((c) => c.close()));
  }

  async function givePacket(role: AgentRole): Promise<void> {
    const me = role.toLowerCase();
    const deliverables =
      role === "ALPHA"
        ? [`${me}-analysis`, `${me}-proposal`, `${me}-critique`]
        : role === "BETA"
          ? [`${me}-proposal`, `${me}-critique`]
          : ["gamma-synthesis"];
    await orchOf().must("packet_create", {
      agent_id: ids[role],
      task_id: opts.taskId,
      objective: opts.objective,
      deliverables,
      constraints: {
        scope: [`task ${opts.taskId}: ${ROLE_SCOPE[role]}`],
        forbidden: ["agent_revoke", "promotion_approve", "packet_create"],
        required_steps: ["record a plan before EXECUTE", "record every deliverable before VERIFY"],
      },
      success_criteria: [
        "a proposal accepted by every required voter",
        "every deliverable recorded",
      ],
      escalation_rules: ["on repeated model failures, report them with error_report and stop"],
    });
  }

  async function activeVoters(stuck: Set<string>): Promise<string[]> {
    const r = await orchOf().call("spawn_conditions", { task_id: opts.taskId });
    const roster = r.ok ? r.data.roster : {};
    return [ids.ALPHA, ids.BETA].filter((id) => {
      const phase = roster[id]?.phase;
      return (
        phase &&
        !["REPORT", "EXIT", "REVOKED"].includes(phase) &&
        !stuck.has(id) &&
        !revoked.has(id)
      );
    });
  }
}

const ROLE_SCOPE: Record<AgentRole, string> = {
  ALPHA: "research the problem and propose a design",
  BETA: "synthesise a design and critique the alternatives",
  GAMMA: "mediate: resolve conflicts and synthesise one proposal",
};

function aborted(signal: AbortSignal): Promise<void> {
  return new Promise((resolve) => {
    if (signal.aborted) return resolve();
    signal.addEventListener("abort", () => resolve(), { once: true });
  });
}
