// One logical call of a chaos client, carried through faults: an answer that may or may not have
// taken effect (UNAVAILABLE unknown, a dropped connection, a dead server) is retried with the
// same idempotency key, on a fresh session when the old one is gone, until a deadline.

import { AgentRevoked, connectGoverned, type GovernedClient } from "../client.js";
import { httpTransport } from "../transports.js";
import type { Op } from "./history.js";
import { DELIBERATE } from "./history.js";
import { pause } from "./rng.js";

export interface Session {
  agent: string;
  /** The current client, connecting (again) when there is none. */
  client(): Promise<GovernedClient>;
  /** Drops the client after a transport failure, so the next call opens a new session. */
  reset(): void;
  close(): Promise<void>;
}

export function openSession(agent: string, token: string, url: () => string): Session {
  let current: Promise<GovernedClient> | undefined;
  return {
    agent,
    client() {
      current ??= connectGoverned(agent, httpTransport(url(), token));
      current.catch(() => {
        current = undefined;
      });
      return current;
    },
    reset() {
      const old = current;
      current = undefined;
      void old?.then((c) => c.close()).catch(() => {});
    },
    async close() {
      const c = await current?.catch(() => undefined);
      current = undefined;
      await c?.close().catch(() => {});
    },
  };
}

/** Calls `tool` until it is settled or `giveUpMs` passes; the Op says what came of it. */
export async function settle(
  s: Session,
  tool: string,
  args: Record<string, unknown>,
  key: string | undefined,
  giveUpMs: number,
): Promise<Op> {
  const op: Op = {
    agent: s.agent,
    tool,
    args,
    sentAt: Date.now(),
    doneAt: 0,
    outcome: "unknown",
    attempts: 0,
  };
  if (key) op.key = key;
  const deadline = op.sentAt + giveUpMs;
  // Until an attempt may have acted, a refusal is definite; after, only an answer about the key is.
  let uncertain = false;
  while (Date.now() < deadline) {
    op.attempts++;
    try {
      const c = await s.client();
      const r = await c.call(tool, key ? { ...args, idempotency_key: key } : args);
      if (r.ok) return done(op, "ok", r.data);
      if (r.reason && DELIBERATE.has(r.reason)) {
        // A working server refusing on purpose (e.g. locks after data loss): definite, settled.
        op.reason = r.reason;
        return done(op, "refused", undefined, r.code);
      }
      if (r.code === "UNAVAILABLE") {
        uncertain ||= r.outcome === "unknown";
      } else if (r.code === "CONFLICT" && uncertain && !/ is held by /.test(r.message)) {
        // The first attempt's claim is still open (in flight, or its server died): wait.
      } else return done(op, "refused", undefined, r.code);
    } catch (err) {
      if (err instanceof AgentRevoked) return done(op, "refused", undefined, "REVOKED");
      // No answer at all (connection refused or dropped, session gone): it may have acted.
      uncertain = true;
      s.reset();
    }
    await pause(100);
  }
  // Out of time: unknown if any attempt may have acted, else a refusal (nothing was done).
  return uncertain ? done(op, "unknown") : done(op, "refused", undefined, "UNAVAILABLE");
}

function done(op: Op, outcome: Op["outcome"], data?: Record<string, unknown>, code?: string): Op {
  op.outcome = outcome;
  op.doneAt = Date.now();
  if (data) op.data = data;
  if (code) op.code = code;
  return op;
}
