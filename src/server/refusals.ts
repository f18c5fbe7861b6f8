// Requests refused before they reach a tool (a bad or revoked bearer token) stay on the record
// without letting a flood of them fill the chain: per source and agent, the first refusal of a
// window is one auth_refused row, and the rest are counted and written as one summary row when the
// window closes or the server stops. The number of windows held is bounded too.
import type { Caller } from "../authority/index.js";
import type { Ledger } from "../ledger/index.js";
import type { Clock } from "../util/clock.js";
import { dict } from "../util/dict.js";
import type { AgovError } from "../util/errors.js";

/** How long one source's refusals are gathered into one summary. */
export const REFUSAL_WINDOW_MS = 60_000;
/** Windows held at once; refusals from further sources are counted together under OTHERS. */
export const MAX_REFUSAL_SOURCES = 1_000;
const OTHERS = "(other sources)";
const UNAUTHENTICATED = "(unauthenticated)";

interface Window {
  source: string;
  agent_id: string;
  tier: number | null;
  action: string;
  started: number;
  last: number;
  /** Refusals after the first, not yet written. */
  more: number;
  codes: Record<string, number>;
}

export interface RefusalLog {
  /** Records (or counts) one refused request from `source` (the remote address). */
  refused(source: string, err: AgovError, action: string): void;
  /** Writes the summaries of windows that have closed. */
  sweep(): Promise<void>;
  /** Writes every summary still held and stops the sweep timer. */
  close(): Promise<void>;
}

export function createRefusalLog(opts: {
  ledger: Ledger;
  clock: Clock;
  windowMs?: number;
  maxSources?: number;
}): RefusalLog {
  const { ledger, clock } = opts;
  const windowMs = opts.windowMs ?? REFUSAL_WINDOW_MS;
  const maxSources = opts.maxSources ?? MAX_REFUSAL_SOURCES;
  const windows = new Map<string, Window>();
  const pending = new Set<Promise<unknown>>();

  // The request is refused either way; nothing ran that needs the record before the answer.
  const write = (p: Promise<unknown>) => {
    const settled = p.catch(() => {}).finally(() => pending.delete(settled));
    pending.add(settled);
  };

  function summarise(key: string, w: Window): void {
    windows.delete(key);
    if (w.more === 0) return;
    const from = new Date(w.started).toISOString();
    const to = new Date(w.last).toISOString();
    const text = `${w.more} more refusal(s) from ${w.source} between ${from} and ${to}`;
    write(
      ledger.record(
        {
          kind: "auth_refused",
          agent_id: w.agent_id,
          tier: w.tier,
          action: `${w.action}: ${text}`,
          decision: "deny",
          detail: { source: w.source, count: w.more, from, to, codes: w.codes },
        },
        {
          success: false,
          error_type: "UNAUTHENTICATED",
          error_reason: "REFUSALS_SUMMARISED",
          error_message: text,
        },
      ),
    );
  }

  async function sweep(): Promise<void> {
    const now = clock.now();
    for (const [key, w] of windows) if (now - w.started >= windowMs) summarise(key, w);
    await Promise.all(pending);
  }
  const timer = setInterval(() => void sweep(), windowMs);
  timer.unref();

  return {
    refused(source, err, action) {
      const now = clock.now();
      const caller = knownCaller(err);
      const agent_id = caller?.agent_id ?? UNAUTHENTICATED;
      let key = `${source}\n${agent_id}`;
      if (!windows.has(key) && windows.size >= maxSources) key = OTHERS;
      const open = windows.get(key);
      if (open && now - open.started < windowMs) {
        open.more += 1;
        open.last = now;
        open.codes[err.code] = (open.codes[err.code] ?? 0) + 1;
        return;
      }
      if (open) summarise(key, open);
      const others = key === OTHERS;
      windows.set(key, {
        source: others ? OTHERS : source,
        agent_id: others ? UNAUTHENTICATED : agent_id,
        tier: others ? null : (caller?.tier ?? null),
        action,
        started: now,
        last: now,
        more: 0,
        codes: dict(),
      });
      write(
        ledger.record(
          {
            kind: "auth_refused",
            agent_id,
            tier: caller?.tier ?? null,
            action,
            decision: "deny",
            detail: { source },
          },
          {
            success: false,
            error_type: err.code,
            error_reason: err.reason ?? null,
            error_message: err.message,
          },
        ),
      );
    },
    sweep,
    async close() {
      clearInterval(timer);
      for (const [key, w] of windows) summarise(key, w);
      await Promise.all(pending);
    },
  };
}

/** A revoked or expired token still names its agent (the authority puts it in the details). */
export function knownCaller(e: AgovError): Pick<Caller, "agent_id" | "tier"> | undefined {
  return typeof e.details?.agent_id === "string"
    ? { agent_id: e.details.agent_id, tier: e.details.tier as Caller["tier"] }
    : undefined;
}
