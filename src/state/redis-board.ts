// The blackboard (a hash per task and section, versioned by a compare-and-set script) and
// messages (a stream per recipient, ids from one sequence per task) on Redis.
import { AgovError } from "../util/errors.js";
import {
  BLACKBOARD_SECTIONS,
  type BlackboardEntry,
  type BlackboardSection,
  type Message,
  type StateStore,
} from "./index.js";
import type { RedisDeps } from "./redis-scripts.js";

export function redisBlackboard({ r, k, clock }: RedisDeps) {
  return {
    post: async (e: Parameters<StateStore["blackboard"]["post"]>[0]) => {
      const entry: BlackboardEntry = {
        task_id: e.task_id,
        section: e.section,
        key: e.key,
        value: e.value,
        version: e.expected_version + 1,
        author: e.author,
        updated_at: clock.now(),
      };
      // "version" first: the script reads the current version from the stored JSON's prefix.
      const stored = JSON.stringify({
        version: entry.version,
        author: entry.author,
        updated_at: entry.updated_at,
        value: entry.value ?? null,
      });
      const [ok, current] = await r.agovPost(
        k.blackboard(e.task_id, e.section),
        e.key,
        e.expected_version,
        stored,
      );
      if (ok !== 1) {
        throw new AgovError(
          "CONFLICT",
          `blackboard ${e.section}/${e.key} is at version ${current}, not ${e.expected_version}: read it, merge, and post with expected_version ${current}`,
          { current_version: Number(current) },
        );
      }
      return entry;
    },
    read: async (taskId: string, section?: BlackboardSection) => {
      const sections = section ? [section] : [...BLACKBOARD_SECTIONS].sort();
      const tx = r.multi();
      for (const s of sections) tx.hgetall(k.blackboard(taskId, s));
      const replies = (await tx.exec()) ?? [];
      const entries: BlackboardEntry[] = [];
      sections.forEach((s, i) => {
        const [err, hash] = replies[i] ?? [new Error("missing reply")];
        if (err) throw err;
        const fields = hash as Record<string, string>;
        for (const key of Object.keys(fields).sort()) {
          const v = JSON.parse(fields[key]!) as Omit<
            BlackboardEntry,
            "task_id" | "section" | "key"
          >;
          entries.push({ task_id: taskId, section: s, key, ...v });
        }
      });
      return entries;
    },
  };
}

export function redisMessages({ r, k, clock }: RedisDeps) {
  return {
    send: async (m: Omit<Message, "id" | "sent_at">): Promise<Message> => {
      const sent_at = clock.now();
      const payload = JSON.stringify({
        from: m.from,
        to: m.to,
        type: m.type,
        body: m.body ?? null,
        sent_at,
      });
      const seq = await r.agovSend(
        k.messageSeq(m.task_id),
        k.inbox(m.task_id, m.to),
        m.from,
        payload,
      );
      return { ...m, id: String(seq), sent_at };
    },
    read: async (taskId: string, agentId: string, afterId?: string, limit = 100) => {
      if (afterId && !/^\d{1,15}$/.test(afterId))
        throw new AgovError(
          "INVALID_INPUT",
          `after_id "${afterId}" is not a message id from this store`,
        );
      if (limit <= 0) return [];
      // Ids are the task's sequence numbers; stream entry N-0 holds message N.
      const start = afterId ? `${Number(afterId)}-1` : "-";
      const flat = await r.agovRead(
        k.inbox(taskId, agentId),
        k.inbox(taskId, "ALL"),
        start,
        agentId,
        limit,
      );
      const out: Message[] = [];
      for (let i = 0; i + 1 < flat.length; i += 2) {
        const m = JSON.parse(flat[i + 1]!) as Omit<Message, "id" | "task_id">;
        out.push({ id: flat[i]!.replace(/-0$/, ""), task_id: taskId, ...m });
      }
      return out;
    },
  };
}
