// The orchestrator: gives ALPHA and BETA their packets, runs them in parallel, watches the task's
// spawn conditions (re-evaluated when agov says they changed, or when a heartbeat would go stale)
// and spawns GAMMA on STUCK, CONFLICT, COMPLEXITY or SUCCESS, then gathers the outcome. It is an
// MCP client like the agents; it never touches agov's internals.
import type { AgentEnv, AgentHooks } from "./agent.js";
import { AgentStopped } from "./agent.js";
import { AgentRevoked, type GovernedClient } from "./client.js";
import { runGamma } from "./gamma.js";
import type { AgentRole, Model } from "./model.js";
import { watchFaults } from "./model-watch.js";
import { runPeer } from "./peer.js";
import type { ProgressEvent } from "./progress.js";
import { collectOutcome, type RunResult } from "./result.js";
import { runSpecialist, type SpecialistSpec } from "./specialist.js";
import { type After, nextLook, spawnWatch } from "./watch.js";

export type Participant = "ORCHESTRATOR" | AgentRole;

export interface RunOptions {
  objective: string;
  taskId: string;
  /** Agent id for each participant (fresh per run: a revoked id can never run again). */
  agentIds: Record<Participant, string>;
  /**
   * Connects a participant to agov with its own token and session, at its role's tier
   * (PARTICIPANT_TIERS) or, for a specialist, at the tier given.
   */
  connect(who: Participant, agentId: string, tier?: number): Promise<GovernedClient>;
  /** Specialists beside ALPHA and BETA, each under its template's packet and tier. */
  specialists?: SpecialistSpec[];
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
  /** Agents' heartbeat interval (see AgentEnv.heartbeatMs). */
  heartbeatMs?: number;
  /**
   * Fresh agents that may take over, one after another, from an ALPHA or BETA revoked for its own
   * faults (new id, new packet, starting from the handoff it left). Default 0.
   */
  replacements?: number;
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
  const model = watchFaults(opts.model);
  /** Who holds each role now: a replacement takes over its predecessor's. */
  const current: Record<AgentRole, string> = { ALPHA: ids.ALPHA, BETA: ids.BETA, GAMMA: ids.GAMMA };
  const replacements: Replacement[] = [];
  const specialists: SpecialistResult[] = [];
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

    const env = async (role: AgentRole, agentId = ids[role], tier?: number): Promise<AgentEnv> => {
      const client = await opts.connect(role, agentId, tier);
      clients.push(client);
      return {
        client,
        role,
        agentId,
        taskId: opts.taskId,
        objective: opts.objective,
        model,
        progress,
        signal: abort.signal,
        waitMs,
        pollMs: opts.agentPollMs ?? 50,
        heartbeatMs: opts.heartbeatMs,
        hooks: opts.hooks,
        counters,
      };
    };
    // A peer is addressed by its role: messages go to whoever holds it now, and come from any
    // agent that held it (a predecessor's proposal is still a proposal).
    const peerSetup = (other: "ALPHA" | "BETA") => ({
      peer: () => current[other],
      isPeer: (id: string) => id === ids[other] || id.startsWith(`${ids[other]}-r`),
      rounds: 2,
      synthesisWaitMs: waitMs * 2,
    });
    const settle = <T>(role: AgentRole, p: Promise<T>, agentId = ids[role]) =>
      p.then(
        (value) => ({ role, ok: true as const, value }),
        (error: unknown) => {
          if (error instanceof AgentRevoked) {
            revoked.set(agentId, error.message);
            progress({ type: "revoked", agent: agentId, reason: error.message });
          } else if (!(error instanceof AgentStopped) && !abort.signal.aborted) {
            progress({
              type: "note",
              agent: agentId,
              text: `stopped: ${(error as Error).message}`,
            });
          }
          return { role, ok: false as const, error };
        },
      );
    /** Runs a role to its end, replacing an agent revoked for its own faults (at most N times). */
    const supervise = async <T>(role: AgentRole, work: (e: AgentEnv) => Promise<T>) => {
      for (let n = 1; ; n++) {
        const agentId = current[role];
        const r = await settle(role, env(role, agentId).then(work), agentId);
        if (r.ok || !(r.error instanceof AgentRevoked)) return r;
        if (n > (opts.replacements ?? 0) || abort.signal.aborted) return r;
        const by = `${ids[role]}-r${n}`;
        replacements.push({ role, replaced: agentId, by, reason: r.error.message });
        progress({
          type: "note",
          agent: by,
          text: `replaces ${agentId} (revoked), from its handoff`,
        });
        current[role] = by;
        await givePacket(role, by);
      }
    };
    const alpha = supervise("ALPHA", (e) => runPeer(e, peerSetup("BETA")));
    const beta = supervise("BETA", (e) => runPeer(e, peerSetup("ALPHA")));
    const specialistsDone = Promise.all(
      (opts.specialists ?? []).map(async (spec) => {
        const line: SpecialistResult = {
          name: spec.name,
          agent: spec.id,
          tier: spec.template.tier,
          completed: false,
          artifacts: [],
          reviewed: null,
        };
        specialists.push(line);
        await orch.must(
          "packet_create",
          spec.template.packet({
            agent_id: spec.id,
            task_id: opts.taskId,
            objective: opts.objective,
          }),
        );
        // A specialist thinks as the neutral mediator does offline, and in its own voice to an LLM.
        const persona =
          `You are the ${spec.template.title}, a specialist beside ALPHA and BETA: review their ` +
          "design from your specialty and produce the deliverables your packet names.";
        const r = await settle(
          "GAMMA",
          env("GAMMA", spec.id, spec.template.tier).then((e) =>
            runSpecialist({ ...e, persona }, spec),
          ),
          spec.id,
        );
        if (r.ok) Object.assign(line, { completed: true, ...r.value });
        else line.error = (r.error as Error).message;
      }),
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
        gamma = supervise("GAMMA", (e) => runGamma(e, { reason: fired.condition, voters }));
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
    await specialistsDone;
    timedOut = Date.now() - started >= opts.timeoutMs;

    return await collectOutcome({
      orch,
      taskId: opts.taskId,
      objective: opts.objective,
      modelName: opts.model.name,
      agentIds: ids,
      spawn,
      revoked,
      replacements,
      specialists,
      modelFault: model.fault(),
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

  async function givePacket(role: AgentRole, agentId = ids[role]): Promise<void> {
    const me = role.toLowerCase();
    const deliverables =
      role === "ALPHA"
        ? [`${me}-analysis`, `${me}-proposal`, `${me}-critique`]
        : role === "BETA"
          ? [`${me}-proposal`, `${me}-critique`]
          : ["gamma-synthesis"];
    await orchOf().must("packet_create", {
      agent_id: agentId,
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
    return [current.ALPHA, current.BETA].filter((id) => {
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

/** What a specialist did in a run. */
export interface SpecialistResult {
  name: string;
  agent: string;
  tier: number;
  completed: boolean;
  artifacts: string[];
  /** The proposal it reviewed. */
  reviewed: string | null;
  error?: string;
}

/** A fresh agent that took over a role from one revoked for its own faults. */
export interface Replacement {
  role: AgentRole;
  replaced: string;
  by: string;
  /** Why the replaced agent was revoked. */
  reason: string;
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
