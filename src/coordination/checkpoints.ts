// An agent's own session state (checkpoint_save / checkpoint_load): each agent has a scope only it
// can read or overwrite, keyed by the resolved caller, never by an id the agent names.
import type { Caller } from "../authority/index.js";
import type { StateStore } from "../state/index.js";

export interface SessionCheckpoints {
  save(caller: Caller, key: string, data: unknown): Promise<{ key: string; saved_at: string }>;
  load(
    caller: Caller,
    key: string,
  ): Promise<
    { key: string; found: false } | { key: string; found: true; data: unknown; saved_at: string }
  >;
}

export function createSessionCheckpoints(state: StateStore): SessionCheckpoints {
  return {
    async save(caller, key, data) {
      const saved = await state.sessions.save(caller.agent_id, key, data);
      return { key, saved_at: new Date(saved.saved_at).toISOString() };
    },
    async load(caller, key) {
      const hit = await state.sessions.load(caller.agent_id, key);
      if (!hit) return { key, found: false };
      return { key, found: true, data: hit.data, saved_at: new Date(hit.saved_at).toISOString() };
    },
  };
}
