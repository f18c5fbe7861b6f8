// Waiting without polling: an agent or the orchestrator subscribes to the agov:// resources it
// waits on and wakes when agov says one changed, when a deadline computed from data comes (the
// moment a heartbeat goes stale), or when something of its own settles. Against a server that
// offers no resource subscriptions it falls back to looking again every `fallbackMs`.
import type { CallResult, GovernedClient } from "./client.js";
import type { ResultOf } from "./tool-results.js";

export type WakeReason = "changed" | "deadline" | "settled" | "stopped";

export interface Watcher {
  /** True when agov accepted every subscription (waits are event-driven, not polls). */
  readonly live: boolean;
  /**
   * Resolves once a watched resource has changed since the previous wait (at once if it already
   * has), after `ms` (capped at fallbackMs when not live), when one of `settles` settles, or when
   * the signal aborts.
   */
  wait(
    ms: number,
    signal?: AbortSignal,
    settles?: ReadonlyArray<Promise<unknown>>,
  ): Promise<WakeReason>;
  close(): Promise<void>;
}

/** A task's resource URI (the task id percent-encoded: it may hold "/"). */
export const taskResource = (taskId: string, what: string) =>
  `agov://tasks/${encodeURIComponent(taskId)}/${what}`;

/** Waits `ms` of the time a deadline is counted in (the server's clock, in a test moved by hand). */
export type After = (ms: number, signal?: AbortSignal) => Promise<void>;

export async function watchResources(
  client: GovernedClient,
  uris: readonly string[],
  opts: { fallbackMs: number; after?: After | undefined },
): Promise<Watcher> {
  let dirty = false;
  let wake: (() => void) | null = null;
  const changed = () => {
    dirty = true;
    wake?.();
  };
  const stops: Array<() => Promise<void>> = [];
  let live = true;
  for (const uri of uris) {
    try {
      stops.push(await client.subscribe(uri, changed));
    } catch {
      live = false;
    }
  }

  return {
    live,
    wait(ms, signal, settles = []) {
      if (dirty) {
        dirty = false;
        return Promise.resolve("changed");
      }
      if (signal?.aborted) return Promise.resolve("stopped");
      const within = live ? ms : Math.min(ms, opts.fallbackMs);
      return new Promise<WakeReason>((resolve) => {
        let done = false;
        const finish = (why: WakeReason) => {
          if (done) return;
          done = true;
          clearTimeout(timer);
          stop.abort();
          signal?.removeEventListener("abort", onAbort);
          wake = null;
          if (why === "changed") dirty = false;
          resolve(why);
        };
        const onAbort = () => finish("stopped");
        // The deadline's own wait ends with this one (a clock's wait is dropped on its abort).
        const stop = new AbortController();
        let timer: ReturnType<typeof setTimeout> | undefined;
        if (opts.after && live)
          void opts.after(Math.max(0, within), stop.signal).then(() => finish("deadline"));
        else timer = setTimeout(() => finish("deadline"), Math.max(0, within));
        wake = () => finish("changed");
        signal?.addEventListener("abort", onAbort, { once: true });
        for (const p of settles)
          p.then(
            () => finish("settled"),
            () => finish("settled"),
          );
      });
    },
    async close() {
      await Promise.allSettled(stops.map((s) => s()));
    },
  };
}

/** The orchestrator's watch on a task's spawn conditions. */
export const spawnWatch = (
  client: GovernedClient,
  taskId: string,
  opts: { fallbackMs: number; after?: After | undefined },
) => watchResources(client, [taskResource(taskId, "spawn-conditions")], opts);

/** Longest wait with nothing stale to wake for; a notification or a settled agent comes first. */
const IDLE_LOOK_MS = 30_000;

/**
 * When to look at spawn conditions again if nothing is announced: the moment the next active
 * agent's heartbeat goes stale (STUCK's stale_in_ms), computed by agov from its own data.
 */
export function nextLook(r: CallResult<ResultOf<"spawn_conditions">>): number {
  if (!r.ok) return IDLE_LOOK_MS;
  const stale = r.data.conditions.find((c) => c.condition === "STUCK")?.stale_in_ms;
  return typeof stale === "number" ? Math.min(stale, IDLE_LOOK_MS) : IDLE_LOOK_MS;
}
