// Connections of the Redis adapter: options that make a call fail at once while Redis is away and
// reconnect by themselves, and the one place a connection failure becomes UNAVAILABLE.
import { Redis, type RedisOptions } from "ioredis";
import { AgovError } from "../util/errors.js";

export interface ConnectionOptions {
  url: string;
  /** A command without a reply after this long fails (a hung server must not hang callers). */
  commandTimeoutMs?: number;
}

const DEFAULT_COMMAND_TIMEOUT_MS = 2000;
// Server replies that mean "not now" rather than "wrong": the caller may retry them.
const TRANSIENT_REPLY = /^(LOADING|BUSY|MASTERDOWN|READONLY|TRYAGAIN|CLUSTERDOWN)\b/;

export interface Connection {
  redis: Redis;
  /**
   * Maps anything a command threw to an AgovError; connection trouble is UNAVAILABLE. A change
   * sent but not answered has an unknown outcome; a read (`read`) never has one.
   */
  fail(err: unknown, read?: boolean): AgovError;
  close(): Promise<void>;
}

/** Opens one connection and waits until it is ready; UNAVAILABLE if Redis cannot be reached. */
export async function openConnection(opts: ConnectionOptions, name: string): Promise<Connection> {
  const timeout = opts.commandTimeoutMs ?? DEFAULT_COMMAND_TIMEOUT_MS;
  const options: RedisOptions = {
    lazyConnect: true,
    connectionName: name,
    // Refuse a command while disconnected instead of queueing it: the caller gets UNAVAILABLE now
    // (and may retry) rather than a call that hangs until Redis returns.
    enableOfflineQueue: false,
    // A command in flight when the connection drops fails and is never resent: a lock script may
    // already have run, and running it twice would hand out a second lease.
    maxRetriesPerRequest: 0,
    autoResendUnfulfilledCommands: false,
    commandTimeout: timeout,
    connectTimeout: timeout,
    // Keep trying for as long as the process lives, so service resumes by itself.
    retryStrategy: (times) => Math.min(50 * times, 500),
  };
  const redis = new Redis(opts.url, options);
  let lastError: string | undefined;
  // Without a listener ioredis prints every reconnect failure; keep the latest for messages.
  redis.on("error", (err: Error) => {
    lastError = err.message;
  });
  redis.on("ready", () => {
    lastError = undefined;
  });
  const where = describeUrl(opts.url);

  const unavailable = (why: string, outcome: "unknown" | "not applied" = "not applied") =>
    new AgovError(
      "UNAVAILABLE",
      outcome === "unknown"
        ? `state store (redis at ${where}) ${why}: the change may or may not have taken effect; retry with the same idempotency_key to be safe`
        : `state store (redis) unavailable: ${why}; check that Redis at ${where} is running (agov reconnects by itself), then retry`,
      { store: "redis", outcome, ...(outcome === "unknown" ? { reason: "OUTCOME_UNKNOWN" } : {}) },
    );
  const fail = (err: unknown, read = false): AgovError => {
    if (err instanceof AgovError) return err;
    const e = err instanceof Error ? err : new Error(String(err));
    if (e.name === "ReplyError" && !TRANSIENT_REPLY.test(e.message))
      return new AgovError("INTERNAL", `state store (redis at ${where}): ${e.message}`);
    const why = e.message;
    // Never sent: nothing happened, a retry is safe.
    if (/enableOfflineQueue/.test(why))
      return unavailable(`not connected (${lastError ?? redis.status})`);
    // Sent, but no answer: Redis may still apply it (a stalled server runs its queue when it
    // wakes), so the outcome is unknown, as with a connection lost mid-call.
    const sent = read ? "not applied" : "unknown";
    if (e.name === "MaxRetriesPerRequestError" || /Connection is closed/.test(why))
      return unavailable("lost the connection during the call", sent);
    if (/Command timed out/.test(why))
      return unavailable(`gave no reply within ${timeout} ms`, sent);
    return unavailable(why);
  };

  try {
    await redis.connect();
  } catch (err) {
    redis.disconnect();
    throw unavailable(`cannot connect (${lastError ?? (err as Error).message})`);
  }
  return {
    redis,
    fail,
    async close() {
      if (redis.status === "ready") {
        try {
          await redis.quit();
          return;
        } catch {
          // fall through: drop the socket
        }
      }
      redis.disconnect();
    },
  };
}

/** host:port of a Redis URL, without credentials, for messages. */
export function describeUrl(url: string): string {
  try {
    const u = new URL(url);
    return `${u.hostname}:${u.port || "6379"}`;
  } catch {
    return "the configured REDIS_URL";
  }
}

/**
 * A client that tries once and never reconnects, for asking whether Redis answers (agov doctor).
 * Built here, where ioredis is imported statically: a dynamic import() of the CommonJS package
 * itself would see only its default export once the CLI is bundled.
 */
export function probeClient(url: string, name: string): Redis {
  return new Redis(url, {
    lazyConnect: true,
    connectionName: name,
    connectTimeout: 0,
    // Its socket is already gone after a refused connect, and would be waited for this long.
    disconnectTimeout: 50,
    maxRetriesPerRequest: 0,
    retryStrategy: () => null,
  });
}
