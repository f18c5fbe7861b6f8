// The gateway: the ONE governed-call path every tools/call goes through, on every transport, and
// the per-caller tool list. It also keeps the live sessions of each agent so a revocation or a
// tier change (from any process) reaches them as notifications/tools/list_changed.
import type { CallToolResult, Tool } from "@modelcontextprotocol/sdk/types.js";
import type { Elicit, ToolContext, ToolDef } from "../../tools/define.js";
import { type Caller, TIER_NAMES } from "../authority/index.js";
import type { LedgerEvent } from "../ledger/index.js";
import type { Runtime } from "../runtime.js";
import type { CallNote, TraceCarrier } from "../telemetry/index.js";
import { AgovError, type ErrorCode, type Reason, toAgovError } from "../util/errors.js";
import { argsDigest, JSON_LIMITS, jsonBoundsProblem } from "../util/json.js";
import { clip } from "../util/text.js";
import { describeTool } from "./describe.js";
import { errorResult, invalidInput, okResult } from "./errors.js";
import { type Claimed, claim, takeKey } from "./idempotency.js";
import { knownCaller } from "./refusals.js";

export interface SessionHandle {
  id: string;
  agent_id: string;
  client?: string;
  notifyToolsChanged(): Promise<void>;
}

export interface Identity {
  caller: Caller;
  granted: Set<string>;
}

/**
 * The session a call comes from. A read of an MCP resource is the equivalent tool's call made on
 * the caller's behalf: `action` names it on the record (e.g. "resources/read agov://…") and
 * `tier` can demand more than the tool itself does (the ledger tail is T4's).
 */
export interface CallSession {
  id: string;
  client?: string;
  elicit?: Elicit;
  action?: string;
  tier?: number;
  /** W3C trace context from the request's `_meta`, so the caller's trace continues here. */
  trace?: TraceCarrier;
}

export interface Gateway {
  runtime: Runtime;
  tools: ReadonlyMap<string, ToolDef>;
  identify(token: string): Promise<Identity>;
  listTools(token: string): Promise<Tool[]>;
  call(
    token: string,
    session: CallSession,
    name: string,
    args: unknown,
    /** The caller as resolved moments ago for this same request (HTTP's bearer check). */
    resolved?: Identity,
  ): Promise<CallToolResult>;
  /**
   * Counts a session in, so revocations and tier changes reach it; returns its detach. Throws
   * DENIED (details.limit names the setting) when the agent, or the server, holds as many sessions
   * as max_sessions_per_agent or max_sessions allow.
   */
  attach(session: SessionHandle): () => void;
  /** How many sessions are attached (for /healthz). */
  attached(): number;
  /** Drops cached identities of an agent and tells its sessions their tool list changed. */
  agentChanged(agentId: string): Promise<void>;
  close(): void;
}

/**
 * The governance engine is not an add-on: every gateway takes its lifecycle gate and error budget
 * from the runtime it is built on, so no transport, runner or test can get an ungoverned one.
 */
export function createGateway(runtime: Runtime, toolList: readonly ToolDef[]): Gateway {
  const tools = new Map(toolList.map((t) => [t.name, t]));
  const names = [...tools.keys()];
  const listed = new Map(toolList.map((t) => [t.name, describeTool(t)]));
  const sessions = new Map<string, Set<SessionHandle>>();
  const cache = new Map<string, { at: number; identity: Identity }>();
  // The local authority answers from a local file in microseconds, so it is asked every time and
  // a revocation takes effect on the very next call; a remote authority (Vault) is cached briefly.
  const cacheTtl = runtime.authority.kind === "local" ? 0 : runtime.config.cache_ttl_ms;
  const { gate, failed: charge } = runtime.governance.hooks;
  // Idempotency keys are claimed in the state store; this instance knows which of its own claims
  // are still running.
  const idem = {
    state: runtime.state,
    now: () => runtime.clock.now(),
    instance: runtime.ids.next(),
    inFlight: new Set<string>(),
  };
  const attached = () => [...sessions.values()].reduce((n, set) => n + set.size, 0);

  async function identify(token: string): Promise<Identity> {
    const now = runtime.clock.now();
    const hit = cache.get(token);
    if (hit && now - hit.at < cacheTtl && hit.identity.caller.expires_at > now) return hit.identity;
    const caller = await runtime.authority.resolve(token);
    const granted = await runtime.authority.grants(token, caller, names);
    const identity = { caller, granted };
    if (cacheTtl > 0) cache.set(token, { at: now, identity });
    return identity;
  }

  async function agentChanged(agentId: string): Promise<void> {
    for (const [token, entry] of cache)
      if (entry.identity.caller.agent_id === agentId) cache.delete(token);
    const live = sessions.get(agentId);
    if (!live) return;
    await Promise.allSettled([...live].map((s) => s.notifyToolsChanged()));
  }

  const unsubscribe = runtime.state.events.subscribe((event) => {
    if (event.type === "revoked" || event.type === "tier_changed")
      void agentChanged(event.agent_id);
  });

  async function refuse(
    caller: Pick<Caller, "agent_id" | "tier"> | undefined,
    name: string,
    args: unknown,
    session: CallSession,
    err: AgovError,
    started: bigint,
    note?: CallNote,
  ): Promise<CallToolResult> {
    if (note) {
      note.decision = "deny";
      if (caller) Object.assign(note, { agent_id: caller.agent_id, tier: caller.tier });
    }
    try {
      await runtime.ledger.record(
        {
          kind: "tool_call",
          agent_id: caller?.agent_id ?? "(unauthenticated)",
          agent_version: session.client ?? null,
          tier: caller?.tier ?? null,
          action: session.action ?? "tools/call",
          decision: "deny",
          tool: name,
          session_id: session.id,
          args_digest: argsDigest(args),
          ...taskDetail(args),
        },
        {
          success: false,
          error_type: err.code,
          error_reason: err.reason ?? null,
          error_message: err.message,
          latency_us: elapsedUs(started),
        },
      );
    } catch (ledgerErr) {
      return errorResult(
        new AgovError(
          "UNAVAILABLE",
          `audit ledger cannot be written (${toAgovError(ledgerErr).message}); call refused`,
        ),
      );
    }
    return errorResult(err);
  }

  // With telemetry, each call runs in its span (and is counted); without, the call is the bare
  // governed path: no span object, no note, one undefined check here at construction.
  const tel = runtime.telemetry;
  const call: Gateway["call"] = tel
    ? (token, session, name, args, resolved) => {
        // An unknown tool's name is the caller's: the ledger keeps it; spans and metrics say
        // "(unknown)", so no caller makes one span name or label per name it invents.
        const tool = tools.has(name) ? name : "(unknown)";
        const action = session.action ?? "tools/call";
        return tel.call(
          `${action.split(" ")[0]} ${tool}`,
          { tool, session_id: session.id, action },
          session.trace,
          async (note) => {
            note.tool = tool;
            const t = taskDetail(args).detail?.task_id;
            if (t) note.task_id = t;
            const result = await governed(token, session, name, args, resolved, note);
            const meta = result._meta?.["agov/error"] as
              | { code?: string; reason?: string }
              | undefined;
            note.decision ??= result.isError ? "error" : "allow";
            if (meta?.code) note.error_code = meta.code;
            if (meta?.reason) note.error_reason = meta.reason;
            return result;
          },
        );
      }
    : governed;

  async function governed(
    token: string,
    session: CallSession,
    name: string,
    args: unknown,
    resolved?: Identity,
    note?: CallNote,
  ): Promise<CallToolResult> {
    const started = process.hrtime.bigint();
    // The name is the caller's: what is echoed, counted or recorded of an unknown one is bounded.
    const shown = clip(name);
    let identity: Identity;
    try {
      identity = resolved ?? (await identify(token));
    } catch (err) {
      const e = toAgovError(err);
      return refuse(knownCaller(e), shown, args, session, e, started, note);
    }
    const { caller, granted } = identity;
    if (note) Object.assign(note, { agent_id: caller.agent_id, tier: caller.tier });
    const fail = async (err: AgovError) => {
      const result = await refuse(caller, shown, args, session, err, started, note);
      await charged(caller, shown, err);
      return result;
    };
    // Before anything walks the arguments recursively (zod, a handler, JSON.stringify): a value
    // nested thousands deep would overflow the stack and take the record and the charge with it.
    const tooLarge = jsonBoundsProblem(args);
    if (tooLarge)
      return fail(
        new AgovError(
          "INVALID_INPUT",
          `invalid arguments for ${shown}: arguments: ${tooLarge}; arguments may nest at most ${JSON_LIMITS.depth} levels, hold at most ${JSON_LIMITS.nodes.toLocaleString("en")} values and ${JSON_LIMITS.chars.toLocaleString("en")} characters`,
          { fields: ["arguments"], limits: { ...JSON_LIMITS } },
        ),
      );
    const tool = tools.get(name);
    if (!tool)
      return fail(
        new AgovError(
          "NOT_FOUND",
          `unknown tool "${shown}"; call tools/list for the tools available to you`,
        ),
      );
    const needs = Math.max(tool.tier, session.tier ?? 0) as Caller["tier"];
    if (!granted.has(name) || caller.tier < needs) {
      const what = session.action ?? name;
      const why =
        caller.tier < needs
          ? `requires tier T${needs} (${TIER_NAMES[needs]}); agent ${caller.agent_id} is T${caller.tier} (${TIER_NAMES[caller.tier]})`
          : `denied by policy on governance/tools/${name} for agent ${caller.agent_id}`;
      return fail(
        new AgovError("DENIED", `${what} refused: ${why}`, {
          required_tier: needs,
          tier: caller.tier,
        }),
      );
    }
    let key: string | undefined;
    let input: unknown = args;
    try {
      ({ key, args: input } = takeKey(tool, args));
    } catch (err) {
      return fail(toAgovError(err));
    }
    const parsed = tool.input.safeParse(input ?? {});
    if (!parsed.success) return fail(invalidInput(name, parsed.error, input));

    const ctx: ToolContext = {
      caller,
      session_id: session.id,
      granted,
      coordination: runtime.coordination,
      consensus: runtime.consensus,
      governance: runtime.governance,
      pipelines: runtime.pipelines,
      clock: runtime.clock,
      audit: runtime.audit,
      findings: runtime.state.findings,
      health: runtime.health,
      ...(session.elicit ? { elicit: session.elicit } : {}),
      ...(key ? { idempotency_key: key } : {}),
    };
    try {
      await gate(caller, {
        name: tool.name,
        readOnly: tool.annotations.readOnlyHint === true,
        ...(tool.phases ? { phases: tool.phases } : {}),
      });
    } catch (err) {
      return fail(toAgovError(err));
    }

    const entry = {
      kind: "tool_call" as const,
      agent_id: caller.agent_id,
      agent_version: session.client ?? null,
      tier: caller.tier,
      action: session.action ?? "tools/call",
      decision: "allow" as const,
      tool: name,
      session_id: session.id,
      args_digest: argsDigest(parsed.data),
      ...taskDetail(parsed.data),
    };
    let claimed: Claimed | undefined;
    if (key) {
      try {
        claimed = await claim(idem, caller.agent_id, tool, key, entry.args_digest);
      } catch (err) {
        return fail(toAgovError(err));
      }
      if (claimed.kind === "replay") return replay(entry, claimed.result, key, started);
    }
    // A tool that changes something is on the ledger before it runs. A read-only tool changes
    // nothing, so its row (with the outcome) is written once, after the read and before the answer
    // leaves: if the ledger cannot be written, the caller gets nothing unaudited.
    const readOnly = tool.annotations.readOnlyHint === true;
    let rowId = 0;
    if (!readOnly) {
      try {
        rowId = await runtime.ledger.begin(entry);
      } catch (err) {
        return ledgerDown(err, "nothing was done");
      }
    }

    let result: CallToolResult;
    let failure: AgovError | undefined;
    try {
      result = okResult(checkedOutput(tool, await tool.handler(parsed.data, ctx)));
    } catch (err) {
      failure = toAgovError(err);
      result = errorResult(
        failure.code === "INTERNAL"
          ? new AgovError("INTERNAL", `${name} failed: ${failure.message}`)
          : failure,
      );
    }
    // A store that did not answer may still apply the change: the outcome is unknown, not failed.
    const unknown = failure?.details?.outcome === "unknown";
    const outcome = {
      success: unknown ? null : !failure,
      error_type: failure?.code ?? null,
      error_reason: failure?.reason ?? null,
      error_message: failure?.message ?? null,
      latency_us: elapsedUs(started),
    };
    // A read whose record cannot be written is not answered; a change already has its row, and
    // its outcome goes with the next commit.
    if (readOnly) {
      try {
        await runtime.ledger.record(entry, outcome);
      } catch (err) {
        return ledgerDown(err, "the result was withheld");
      }
    } else runtime.ledger.complete(rowId, outcome);
    if (claimed?.kind === "run")
      await claimed.settle(result, unknown, failure?.retryable === true).catch(() => {
        // The answer stands; a retry with the key finds the claim stale and treats it as unknown.
      });
    if (failure) await charged(caller, name, failure);
    return result;
  }

  /** Answers a retry with the first call's answer; the replay is on the record too. */
  async function replay(
    entry: LedgerEvent,
    first: CallToolResult,
    key: string,
    started: bigint,
  ): Promise<CallToolResult> {
    const meta = first._meta?.["agov/error"] as { code?: ErrorCode; reason?: Reason } | undefined;
    try {
      await runtime.ledger.record(
        { ...entry, action: `tools/call (replay of the first call with idempotency_key ${key})` },
        {
          success: first.isError !== true,
          error_type: meta?.code ?? null,
          error_reason: meta?.reason ?? null,
          error_message: null,
          latency_us: elapsedUs(started),
        },
      );
    } catch (err) {
      return ledgerDown(err, "the first answer was withheld");
    }
    return { ...first, _meta: { ...first._meta, "agov/idempotency": { key, replayed: true } } };
  }

  /** Charges a refused or failed call to the caller's error budget (when it is held to a run). */
  async function charged(caller: Caller, tool: string, err: AgovError): Promise<void> {
    try {
      await charge(caller, tool, err);
    } catch {
      // The charge must not change the answer already decided for this call; a budget that
      // could not be charged (the store is down) is an outage, which is never the agent's fault.
    }
  }

  return {
    runtime,
    tools,
    identify,
    async listTools(token) {
      let identity: Identity;
      try {
        identity = await identify(token);
      } catch (err) {
        const e = toAgovError(err);
        if (e.code === "UNAVAILABLE") throw e;
        return [];
      }
      return names.filter((n) => identity.granted.has(n)).map((n) => listed.get(n)!);
    },
    call,
    attach(session) {
      const { max_sessions, max_sessions_per_agent } = runtime.config;
      const held = sessions.get(session.agent_id)?.size ?? 0;
      if (held >= max_sessions_per_agent)
        throw new AgovError(
          "DENIED",
          `agent ${session.agent_id} already has ${held} open sessions (max_sessions_per_agent ${max_sessions_per_agent}); close one, or let an idle one expire`,
          { limit: "max_sessions_per_agent", max: max_sessions_per_agent },
        );
      const all = attached();
      if (all >= max_sessions)
        throw new AgovError(
          "DENIED",
          `agov already holds ${all} open sessions (max_sessions ${max_sessions}); try again when some have closed`,
          { limit: "max_sessions", max: max_sessions },
        );
      const set = sessions.get(session.agent_id) ?? new Set();
      set.add(session);
      sessions.set(session.agent_id, set);
      tel?.sessions(1);
      return () => {
        if (set.delete(session)) tel?.sessions(-1);
        if (set.size === 0) sessions.delete(session.agent_id);
      };
    },
    attached,
    agentChanged,
    close: unsubscribe,
  };
}

/**
 * A result that does not match its tool's output schema is a bug in agov, not the caller's doing:
 * it is not sent (an INTERNAL error instead, on the record as the call's failure).
 */
function checkedOutput(tool: ToolDef, value: unknown): unknown {
  const r = tool.output.safeParse(value);
  if (r.success) return value;
  const where = r.error.issues
    .slice(0, 3)
    .map((i) => `${i.path.map(String).join(".") || "(result)"}: ${i.message}`)
    .join("; ");
  throw new AgovError(
    "INTERNAL",
    `its result does not match its output schema (${clip(where, 500)}); this is a bug in agov, please report it`,
  );
}

function ledgerDown(err: unknown, consequence: string): CallToolResult {
  return errorResult(
    new AgovError(
      "UNAVAILABLE",
      `audit ledger cannot be written (${toAgovError(err).message}); call refused, ${consequence}`,
    ),
  );
}

const elapsedUs = (started: bigint) => Number((process.hrtime.bigint() - started) / 1000n);

/**
 * The task a call names (its task_id argument), kept in the row's detail so that `agov audit
 * query --task` finds every call of a task. A refused call's arguments are the caller's: only a
 * plain string of sane length is kept.
 */
function taskDetail(args: unknown): { detail?: { task_id: string } } {
  const t =
    args && typeof args === "object" && Object.hasOwn(args, "task_id")
      ? (args as { task_id: unknown }).task_id
      : undefined;
  return typeof t === "string" && t.length > 0 && t.length <= 200 ? { detail: { task_id: t } } : {};
}

/** W3C trace context a client put in the request's `_meta` (strings only; the rest is ignored). */
export function traceOf(meta: unknown): TraceCarrier | undefined {
  if (!meta || typeof meta !== "object") return undefined;
  const { traceparent, tracestate } = meta as Record<string, unknown>;
  if (typeof traceparent !== "string") return undefined;
  return { traceparent, ...(typeof tracestate === "string" ? { tracestate } : {}) };
}
