// Read-modify-write of one blackboard entry under its version check: the one way the domain
// modules rewrite shared entries (votes and results) without losing a writer.
import { AgovError } from "../util/errors.js";
import type { BlackboardEntry, BlackboardSection, StateStore } from "./index.js";

export async function updateEntry<T>(
  state: StateStore,
  at: { task_id: string; section: BlackboardSection; key: string; author: string },
  /** The new value from the current one (undefined for a new entry); may throw to give up. */
  next: (current: T | undefined) => T,
  attempts = 20,
): Promise<BlackboardEntry> {
  for (let i = 0; i < attempts; i++) {
    const current = (await state.blackboard.read(at.task_id, at.section)).find(
      (e) => e.key === at.key,
    );
    // Outside the try: a refusal from `next` is the caller's answer, not a lost race to retry.
    const value = next(current?.value as T | undefined);
    try {
      return await state.blackboard.post({ ...at, value, expected_version: current?.version ?? 0 });
    } catch (err) {
      if (!(err instanceof AgovError && err.code === "CONFLICT")) throw err;
    }
  }
  throw new AgovError(
    "CONFLICT",
    `${at.section}/${at.key} of task ${at.task_id} is too busy: ${attempts} writers got there first; retry`,
  );
}
