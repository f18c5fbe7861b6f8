// The agents' only door to agov: an MCP client. Each call's result is unpacked into data or a
// typed refusal (the stable code agov puts in _meta["agov/error"]), and the time spent in calls
// is counted so a run can report how much of it went to governance.
import { Client } from "@modelcontextprotocol/sdk/client/index.js";
import type { Transport } from "@modelcontextprotocol/sdk/shared/transport.js";
import {
  ResourceUpdatedNotificationSchema,
  ToolListChangedNotificationSchema,
} from "@modelcontextprotocol/sdk/types.js";
import { parseResult, type ResultOf } from "./tool-results.js";

export interface CallOk<T = Record<string, unknown>> {
  ok: true;
  /** The tool's structured result, parsed (and typed) for the tools in tool-results.ts. */
  data: T;
}
export interface CallRefused {
  ok: false;
  code: string;
  message: string;
  retryable: boolean;
  /** For UNAVAILABLE: "unknown" (the change may have happened) or "not applied". */
  outcome?: string;
  /** The finer reason under the code (docs/errors.md), when agov gives one. */
  reason?: string;
}
export type CallResult<T = Record<string, unknown>> = CallOk<T> | CallRefused;

/** Thrown when agov refuses an agent because it was revoked: the agent must stop. */
export class AgentRevoked extends Error {
  constructor(
    readonly agentId: string,
    message: string,
  ) {
    super(message);
    this.name = "AgentRevoked";
  }
}

export interface CallStats {
  calls: number;
  refused: number;
  ms: number;
}

export interface GovernedClient {
  readonly agentId: string;
  /** Calls a tool; refusals come back as values, except REVOKED, which throws AgentRevoked. */
  call<K extends string>(tool: K, args?: Record<string, unknown>): Promise<CallResult<ResultOf<K>>>;
  /** Like call, but throws on any refusal (for steps that must succeed). */
  must<K extends string>(tool: K, args?: Record<string, unknown>): Promise<ResultOf<K>>;
  tools(): Promise<string[]>;
  onToolsChanged(fn: () => void): void;
  /**
   * Subscribes to an agov:// resource (resources/subscribe): `fn` runs on each
   * notifications/resources/updated for it. Resolves to the unsubscribe; rejects when the server
   * refuses the subscription (or offers no resources), so the caller can fall back to polling.
   */
  subscribe(uri: string, fn: () => void): Promise<() => Promise<void>>;
  stats(): CallStats;
  close(): Promise<void>;
}

export class CallRefusedError extends Error {
  constructor(
    readonly tool: string,
    readonly refusal: CallRefused,
  ) {
    super(`${tool} refused (${refusal.code}): ${refusal.message}`);
    this.name = "CallRefusedError";
  }
}

/** Per-call timeout; a call never waits on a signal that outlives it (see DESIGN: listeners). */
const CALL_TIMEOUT_MS = 30_000;

export async function connectGoverned(
  agentId: string,
  transport: Transport,
): Promise<GovernedClient> {
  const client = new Client({ name: `agov-agent-${agentId}`, version: "0.1.0" });
  const listeners: Array<() => void> = [];
  client.setNotificationHandler(ToolListChangedNotificationSchema, async () => {
    for (const fn of listeners) fn();
  });
  const watchers = new Map<string, Set<() => void>>();
  client.setNotificationHandler(ResourceUpdatedNotificationSchema, async (n) => {
    for (const fn of watchers.get(n.params.uri) ?? []) fn();
  });
  await client.connect(transport);
  const stats: CallStats = { calls: 0, refused: 0, ms: 0 };

  async function call<K extends string>(
    tool: K,
    args: Record<string, unknown> = {},
  ): Promise<CallResult<ResultOf<K>>> {
    const started = performance.now();
    stats.calls++;
    try {
      const r = (await client.callTool({ name: tool, arguments: args }, undefined, {
        timeout: CALL_TIMEOUT_MS,
      })) as {
        isError?: boolean;
        content?: Array<{ text?: string }>;
        structuredContent?: Record<string, unknown>;
        _meta?: Record<
          string,
          { code?: string; reason?: string; retryable?: boolean; outcome?: string } | undefined
        >;
      };
      if (!r.isError) return { ok: true, data: parseResult(tool, r.structuredContent ?? {}) };
      stats.refused++;
      const meta = r._meta?.["agov/error"];
      const refusal: CallRefused = {
        ok: false,
        code: meta?.code ?? "UNKNOWN",
        message: (r.content ?? []).map((c) => c.text ?? "").join("\n"),
        retryable: meta?.retryable ?? false,
        ...(typeof meta?.outcome === "string" ? { outcome: meta.outcome } : {}),
        ...(typeof meta?.reason === "string" ? { reason: meta.reason } : {}),
      };
      if (refusal.code === "REVOKED") throw new AgentRevoked(agentId, refusal.message);
      return refusal;
    } finally {
      stats.ms += performance.now() - started;
    }
  }

  return {
    agentId,
    call,
    async must(tool, args) {
      const r = await call(tool, args);
      if (!r.ok) throw new CallRefusedError(tool, r);
      return r.data;
    },
    async tools() {
      return (await client.listTools()).tools.map((t) => t.name);
    },
    onToolsChanged(fn) {
      listeners.push(fn);
    },
    async subscribe(uri, fn) {
      const set = watchers.get(uri) ?? new Set();
      set.add(fn);
      watchers.set(uri, set);
      try {
        if (set.size === 1) await client.subscribeResource({ uri }, { timeout: CALL_TIMEOUT_MS });
      } catch (err) {
        set.delete(fn);
        if (set.size === 0) watchers.delete(uri);
        throw err;
      }
      return async () => {
        set.delete(fn);
        if (set.size > 0 || watchers.get(uri) !== set) return;
        watchers.delete(uri);
        await client.unsubscribeResource({ uri }).catch(() => {});
      };
    },
    stats: () => ({ ...stats }),
    close: () => client.close(),
  };
}
