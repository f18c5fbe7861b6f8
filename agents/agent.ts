// The governed-agent runtime: walks the lifecycle through agov's tools, thinks with the model
// (reporting its failures through error_report so the error budget governs the model too), waits
// for peers on its inbox and the task's blackboard (woken by agov's resource updates), and stops
// the moment agov says it is revoked.
import type { z } from "zod";
import { PHASES as LIFECYCLE, type Phase } from "../protocol/lifecycle.js";
import { AgentRevoked, CallRefusedError, type GovernedClient } from "./client.js";
import { type AgentRole, type Model, ModelError, type ModelTaskKind } from "./model.js";
import type { ProgressEvent } from "./progress.js";
import { taskResource, type Watcher, watchResources } from "./watch.js";

export { LIFECYCLE, type Phase };

export interface AgentHooks {
  /** Runs before each phase transition; tests use it to stall an agent (honour the signal). */
  beforePhase?(role: AgentRole, phase: Phase, signal: AbortSignal): Promise<void>;
}

export interface AgentEnv {
  client: GovernedClient;
  role: AgentRole;
  agentId: string;
  taskId: string;
  objective: string;
  model: Model;
  progress(e: ProgressEvent): void;
  signal: AbortSignal;
  /** How long to wait for a peer's message before going on without it. */
  waitMs: number;
  /** How often to look again while waiting, when agov offers no resource subscriptions. */
  pollMs: number;
  /**
   * At most one heartbeat per this interval while polling, and at least one while waiting on the
   * model or on a peer, so a slow model never looks STUCK (default 5 s; the seed's STUCK is 30 s
   * of silence).
   */
  heartbeatMs?: number | undefined;
  /** A specialist's stance for the model (see ModelRequest.persona). */
  persona?: string | undefined;
  hooks?: AgentHooks | undefined;
  counters: { modelCalls: number };
}

export interface InboxMessage {
  id: string;
  from: string;
  to: string;
  type: string;
  body: Record<string, unknown>;
}

/** Attempts per model step; each failure after the model's own retries is charged to the budget. */
const STEP_ATTEMPTS = 3;
/**
 * Tries of a step through an outage of the model endpoint (5xx, timeouts, rate limits), which are
 * not the agent's fault and not charged: the model's breaker paces them (its cool-down doubles up
 * to 30 s), so this rides out several minutes of outage, or until the run is stopped.
 */
const OUTAGE_STEPS = 20;
/** A waiting agent wakes this often to beat, well inside the 30 s after which it looks STUCK. */

export function createAgentKit(env: AgentEnv) {
  let cursor: string | undefined;
  const inbox: InboxMessage[] = [];
  let lastBeat = 0;
  const beatMs = env.heartbeatMs ?? 5000;

  async function phase(p: Phase, step?: string): Promise<Record<string, unknown>> {
    if (env.signal.aborted) throw new AgentStopped(env.agentId, "run stopped");
    await env.hooks?.beforePhase?.(env.role, p, env.signal);
    if (env.signal.aborted) throw new AgentStopped(env.agentId, "run stopped");
    const r = await env.client.must("phase_transition", { phase: p, ...(step ? { step } : {}) });
    env.progress({ type: "phase", agent: env.agentId, role: env.role, phase: p });
    return r;
  }

  async function think<T>(
    kind: ModelTaskKind,
    context: Record<string, unknown>,
    schema: z.ZodType<T>,
  ): Promise<T> {
    let failed = 0;
    let outages = 0;
    for (;;) {
      env.counters.modelCalls++;
      // Failed attempts are reported once their step's outcome is known: as recovered when a
      // retry then worked, folded into the one charged error when the step failed.
      const retried: Array<{ kind: string; attempt: number; message: string; outage: boolean }> =
        [];
      try {
        const out = await beatingWhile((signal) =>
          env.model.generate(
            {
              role: env.role,
              kind,
              objective: env.objective,
              context,
              ...(env.persona ? { persona: env.persona } : {}),
              signal,
              onAttemptFailed: (f) => {
                env.progress({
                  type: "model_error",
                  agent: env.agentId,
                  kind: f.kind,
                  recovered: true,
                });
                retried.push({
                  kind: f.kind,
                  attempt: f.attempt,
                  message: f.message,
                  outage: f.outage,
                });
              },
            },
            schema,
          ),
        );
        for (const f of retried)
          await env.client.call("error_report", {
            error_type: `model_${f.kind}`,
            message: `${kind} attempt ${f.attempt}: ${f.message}`.slice(0, 2000),
            recovered: true,
            // The endpoint's outage is the model's, never the agent's: recorded, not charged.
            ...(f.outage ? { dependency: "model" } : {}),
          });
        return out;
      } catch (err) {
        if (!(err instanceof ModelError)) throw err;
        env.progress({ type: "model_error", agent: env.agentId, kind: err.kind, recovered: false });
        const earlier = retried.map((f) => `attempt ${f.attempt}: ${f.kind}`).join(", ");
        const r = await env.client.call("error_report", {
          error_type: `model_${err.kind}`,
          message:
            `${kind} failed after ${err.attempts} attempt(s)${earlier ? ` (${earlier})` : ""}: ${err.message}`.slice(
              0,
              2000,
            ),
          // An outage the model client could not ride out is still not the agent's fault.
          ...(err.outage ? { dependency: "model" } : {}),
        });
        if (r.ok && r.data.revoked)
          throw new AgentRevoked(env.agentId, `revoked after ${err.kind}`);
        if (err.outage ? ++outages >= OUTAGE_STEPS : ++failed >= STEP_ATTEMPTS) throw err;
      }
    }
  }

  /**
   * Runs a model call while beating every beatMs: a model thinking for longer than STUCK's 30 s is
   * still an agent at work. A revocation seen by a beat stops the call at once.
   */
  async function beatingWhile<T>(work: (signal: AbortSignal) => Promise<T>): Promise<T> {
    const stop = new AbortController();
    const forward = () => stop.abort(env.signal.reason);
    if (env.signal.aborted) forward();
    else env.signal.addEventListener("abort", forward, { once: true });
    let revoked: AgentRevoked | null = null;
    let beating = false;
    const timer = setInterval(() => {
      if (beating) return;
      beating = true;
      lastBeat = Date.now();
      env.client
        .call("heartbeat")
        .catch((err: unknown) => {
          if (err instanceof AgentRevoked && !revoked) {
            revoked = err;
            stop.abort(err);
          }
        })
        .finally(() => {
          beating = false;
        });
    }, beatMs);
    try {
      return await work(stop.signal);
    } catch (err) {
      throw revoked ?? err;
    } finally {
      clearInterval(timer);
      env.signal.removeEventListener("abort", forward);
    }
  }

  async function heartbeat(): Promise<void> {
    const now = Date.now();
    if (now - lastBeat < beatMs) return;
    lastBeat = now;
    await env.client.call("heartbeat");
  }

  async function readInbox(): Promise<InboxMessage[]> {
    const r = await env.client.must("message_read", {
      task_id: env.taskId,
      ...(cursor ? { after_id: cursor } : {}),
    });
    const fresh: InboxMessage[] = r.messages;
    if (r.last_id !== null) cursor = r.last_id;
    inbox.push(...fresh);
    return fresh;
  }

  // What a wait can be waiting for: a message, or something on the task's blackboard (a peer's
  // analysis, a vote). Subscribed once, on the first wait.
  let watching: Promise<Watcher> | undefined;
  const watcher = () =>
    (watching ??= watchResources(
      env.client,
      [taskResource(env.taskId, "messages"), taskResource(env.taskId, "blackboard")],
      { fallbackMs: env.pollMs },
    ));

  /**
   * Looks until `find` returns something, the wait runs out (null), or the run stops; it looks
   * again when agov announces a change, and beats in between so a waiting agent is not STUCK.
   */
  async function waitFor<T>(find: () => Promise<T | null | undefined>, waitMs = env.waitMs) {
    const deadline = Date.now() + waitMs;
    const w = await watcher();
    for (;;) {
      const hit = await find();
      if (hit !== null && hit !== undefined) return hit;
      if (Date.now() >= deadline || env.signal.aborted) return null;
      await heartbeat();
      await w.wait(Math.min(deadline - Date.now(), beatMs), env.signal);
    }
  }

  /** Takes (removes) the first message in the inbox that matches. */
  async function nextMessage(match: (m: InboxMessage) => boolean, waitMs?: number) {
    return waitFor(async () => {
      await readInbox();
      const i = inbox.findIndex(match);
      return i >= 0 ? inbox.splice(i, 1)[0] : null;
    }, waitMs);
  }

  async function send(to: string, type: string, body: Record<string, unknown>): Promise<void> {
    await env.client.must("message_send", { task_id: env.taskId, to, type, body });
    env.progress({
      type: "message",
      from: env.agentId,
      to,
      msgType: type,
      summary: String(body.title ?? body.summary ?? ""),
    });
  }

  async function post(section: string, key: string, value: unknown): Promise<void> {
    for (let attempt = 0; attempt < 5; attempt++) {
      const r = await env.client.must("blackboard_read", { task_id: env.taskId, section });
      const entry = r.entries.find((e) => e.key === key);
      const w = await env.client.call("blackboard_post", {
        task_id: env.taskId,
        section,
        key,
        value,
        expected_version: entry?.version ?? 0,
      });
      if (w.ok) return;
      if (w.code !== "CONFLICT") throw new CallRefusedError("blackboard_post", w);
    }
    throw new CallRefusedError("blackboard_post", {
      ok: false,
      code: "CONFLICT",
      message: `${section}/${key} kept changing under five attempts to write it`,
      retryable: true,
    });
  }

  async function artifact(name: string, kind: string, content: unknown): Promise<void> {
    await env.client.must("artifact_record", { name, kind, content });
  }

  return { phase, think, heartbeat, readInbox, waitFor, nextMessage, send, post, artifact };
}

export type AgentKit = ReturnType<typeof createAgentKit>;

/** The run was stopped (timeout, or the orchestrator finished without this agent). */
export class AgentStopped extends Error {
  constructor(
    readonly agentId: string,
    message: string,
  ) {
    super(message);
    this.name = "AgentStopped";
  }
}

export function sleep(ms: number, signal?: AbortSignal): Promise<void> {
  return new Promise((resolve) => {
    if (signal?.aborted) return resolve();
    const t = setTimeout(done, ms);
    function done() {
      clearTimeout(t);
      signal?.removeEventListener("abort", done);
      resolve();
    }
    signal?.addEventListener("abort", done, { once: true });
  });
}
