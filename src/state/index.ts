// The StateStore port: runtime state shared by every agov process, shaped by the domain (locks,
// blackboard, messages, …) rather than as a key-value API, so each adapter uses its own engine's
// atomicity. Time always comes from the injected clock, never from the engine, so TTL behaviour is
// the same (and testable) on every adapter. Contract: test/conformance/state.suite.ts.

import type { DomainRecords } from "./records.js";

export type {
  ArtifactRecord,
  Finding,
  GateDecision,
  PipelineRunSummary,
  RosterLine,
  StageClaim,
  TaskExit,
} from "./records.js";

export const BLACKBOARD_SECTIONS = ["problem", "solutions", "progress", "consensus"] as const;
export type BlackboardSection = (typeof BLACKBOARD_SECTIONS)[number];
export const MESSAGE_TYPES = ["PROPOSAL", "FEEDBACK", "HANDOFF", "INFO"] as const;
export type MessageType = (typeof MESSAGE_TYPES)[number];

export interface LockLease {
  resource: string;
  holder: string;
  lease_id: string;
  fence: number;
  expires_at: number;
}
export type AcquireResult =
  | ({ acquired: true } & LockLease)
  | { acquired: false; resource: string; holder: string; expires_at: number };

export interface BlackboardEntry {
  task_id: string;
  section: BlackboardSection;
  key: string;
  value: unknown;
  version: number;
  author: string;
  updated_at: number;
}

export interface Message {
  id: string;
  task_id: string;
  from: string;
  to: string;
  type: MessageType;
  body: unknown;
  sent_at: number;
}

export interface ErrorCounters {
  total_errors: number;
  procedure_violations: number;
  /** Count per error type. */
  by_type: Record<string, number>;
}

export interface RevocationRecord {
  agent_id: string;
  task_id: string | null;
  reason_type: string;
  details: string;
  at: number;
}

export interface IdempotencyRecord {
  digest: string;
  /** running: claimed, not settled; done: `result` is the first outcome; unknown: it may or may not have taken effect. */
  status: "running" | "done" | "unknown";
  started_at: number;
  /** The server instance that claimed it, which alone knows whether it is still running. */
  instance?: string;
  result?: unknown;
}
export type IdempotencyClaim = { first: true } | { first: false; record: IdempotencyRecord };

/**
 * Events every instance must see: they drive tools/list_changed, cache invalidation and the MCP
 * resource subscriptions (notifications/resources/updated). They say what changed, never the data.
 */
export type AgovEvent =
  | { type: "revoked"; agent_id: string }
  | { type: "tier_changed"; agent_id: string; tier: number }
  | { type: "blackboard"; task_id: string; section: string; key: string }
  | { type: "message"; task_id: string; from: string; to: string }
  | { type: "roster"; task_id: string; agent_id: string }
  | { type: "handoff"; task_id: string }
  | { type: "packet"; agent_id: string }
  | { type: "pipeline_run"; run_id: string }
  /** A pipeline stage waits: for a person's decision (a gate) or for its assignee's stage_run. */
  | { type: "stage_waiting"; run_id: string; stage: string; kind: string; assignee?: string };

export interface StateStore {
  readonly kind: "sqlite" | "redis";

  locks: {
    /** Takes the lock if free or expired; the fencing token grows strictly per resource. */
    /** `leaseId` names the lease (e.g. derived from an idempotency key); a fresh id otherwise. */
    acquire(
      resource: string,
      holder: string,
      ttlMs: number,
      leaseId?: string,
    ): Promise<AcquireResult>;
    /** Extends a live lease. CONFLICT when the lease is not the current holder's (stale or taken). */
    refresh(resource: string, leaseId: string, ttlMs: number): Promise<LockLease>;
    /** Releases a live lease. CONFLICT when it is not the current one. */
    release(resource: string, leaseId: string): Promise<void>;
    status(resource: string): Promise<LockLease | null>;
    /** Releases every live lock the holder has; returns their resources. */
    releaseAll(holder: string): Promise<string[]>;
  };

  blackboard: {
    /**
     * Writes one entry. `expectedVersion` must equal the current version (0 for a new key);
     * otherwise CONFLICT naming the current version, so no update is lost silently.
     */
    post(entry: {
      task_id: string;
      section: BlackboardSection;
      key: string;
      value: unknown;
      author: string;
      expected_version: number;
    }): Promise<BlackboardEntry>;
    read(taskId: string, section?: BlackboardSection): Promise<BlackboardEntry[]>;
  };

  messages: {
    /** `to` is an agent id or "ALL". */
    send(msg: Omit<Message, "id" | "sent_at">): Promise<Message>;
    /** Messages to the agent or to ALL (not its own broadcasts), in order, after `afterId`. */
    read(taskId: string, agentId: string, afterId?: string, limit?: number): Promise<Message[]>;
  };

  agents: {
    heartbeat(agentId: string, ttlMs: number): Promise<void>;
    /** Time of the last heartbeat, or null if none is live. */
    lastHeartbeat(agentId: string): Promise<number | null>;
    getState(agentId: string): Promise<Record<string, unknown> | null>;
    setState(agentId: string, state: Record<string, unknown>): Promise<void>;
    putPacket(agentId: string, packet: Record<string, unknown>): Promise<void>;
    getPacket(agentId: string): Promise<Record<string, unknown> | null>;
    /**
     * Appends one line to the agent's notes (what it tried), keeping the newest `keep`. An append,
     * not a rewrite, so concurrent calls of one agent never lose each other's notes.
     */
    note(agentId: string, text: string, keep: number): Promise<void>;
    /** The agent's notes, oldest first. */
    notes(agentId: string): Promise<string[]>;
    clearNotes(agentId: string): Promise<void>;
  };

  errors: {
    /** Counts one error (or procedure violation) and returns the counters after it. */
    record(
      agentId: string,
      errorType: string,
      procedureViolation?: boolean,
    ): Promise<ErrorCounters>;
    get(agentId: string): Promise<ErrorCounters>;
    reset(agentId: string): Promise<void>;
  };

  tasks: {
    setActiveAgent(taskId: string, agentId: string): Promise<void>;
    getActiveAgent(taskId: string): Promise<string | null>;
    addArtifact(taskId: string, artifact: string): Promise<void>;
    artifacts(taskId: string): Promise<string[]>;
    putHandoff(taskId: string, handoff: Record<string, unknown>): Promise<void>;
    getHandoff(taskId: string): Promise<Record<string, unknown> | null>;
  };

  revocations: {
    append(rec: RevocationRecord): Promise<void>;
    /** Newest first. */
    recent(limit?: number): Promise<RevocationRecord[]>;
  };

  /**
   * Idempotency keys of changing calls: the first call with a key claims it; a retry finds what
   * the first left (its result, or that its outcome is unknown) instead of acting again.
   */
  idempotency: {
    /** Claims the key atomically with this (running) record, unless a live one is there. */
    claim(
      agentId: string,
      key: string,
      record: IdempotencyRecord,
      ttlMs: number,
    ): Promise<IdempotencyClaim>;
    /** Records how the call that claimed the key ended. */
    settle(agentId: string, key: string, record: IdempotencyRecord, ttlMs: number): Promise<void>;
  };

  /** An agent's own session checkpoints (checkpoint_save/load): a scope per agent. */
  sessions: DomainRecords["sessions"];
  /** Artifact records by task and name (the names list is tasks.artifacts). */
  artifacts: DomainRecords["artifacts"];
  /** Which run of an agent has recorded its plan. */
  plans: DomainRecords["plans"];
  /** Who finished which task, kept after the agent's run record moves on. */
  exits: DomainRecords["exits"];
  /** Each task's progress roster: one line per agent (phase, step, time). */
  roster: DomainRecords["roster"];
  /** Pipeline run records, their newest-first index, gate decisions and stage claims. */
  pipelineRuns: DomainRecords["pipelineRuns"];
  /** The architecture review's findings per target (src/review). */
  findings: DomainRecords["findings"];
  /** The OAuth authorization server's clients, consents, codes and refresh tokens. */
  oauth: DomainRecords["oauth"];

  events: {
    publish(event: AgovEvent): Promise<void>;
    /** Delivers events published by any process (including this one) after subscribing. */
    subscribe(handler: (event: AgovEvent) => void): () => void;
  };

  close(): Promise<void>;
}
