// What agov tells people outside it about (Slack and the like): a gate waiting for a person, an
// agent revoked, a pipeline run ended, a consensus decided. Plain data: no tokens, no secrets.

export const NOTICE_KINDS = ["gate_waiting", "revoked", "pipeline_finished", "consensus"] as const;
export type NoticeKind = (typeof NOTICE_KINDS)[number];

export type Notice =
  | {
      kind: "gate_waiting";
      run_id: string;
      pipeline: string;
      stage: string;
      prompt: string;
      /** ms since the epoch, when the gate gives up. */
      deadline: number | null;
    }
  | {
      kind: "revoked";
      agent_id: string;
      reason: string;
      details: string;
      task_id: string | null;
      handoff: boolean;
    }
  | {
      kind: "pipeline_finished";
      run_id: string;
      pipeline: string;
      status: string;
      reason: string | null;
    }
  | {
      kind: "consensus";
      proposal_id: string;
      task_id: string;
      title: string;
      status: string;
    };

/** Where notices go. `notify` never blocks and never fails the governed work that caused it. */
export interface Notifier {
  notify(n: Notice): void;
  /** Delivers what is queued, for at most `ms`; then drops the rest. */
  close(ms?: number): Promise<void>;
}

export const silentNotifier: Notifier = {
  notify() {},
  async close() {},
};
