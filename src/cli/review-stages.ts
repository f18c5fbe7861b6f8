// The architecture review's agent stages (watch, suggest, council), each done by an agent that is
// an MCP client of this gateway with the token the engine issued for the stage: it walks the
// lifecycle, reads earlier stages' artifacts with artifact_read, puts suggestions to the vote with
// proposal_create, and records its deliverables with artifact_record — governed and ledgered.
import { connectGoverned, type GovernedClient } from "../../agents/client.js";
import type { StageExecutor, StageTask } from "../pipeline/index.js";
import { atLeast, COUNCIL, LENSES, type Suggestion } from "../review/advice.js";
import { type CheckNote, type CommandOutput, readCommand } from "../review/checks.js";
import { type Change, needsReview, reconcile, type SourceCheck } from "../review/findings.js";
import { watchLedger } from "../review/ledger-watch.js";
import type { Severity } from "../review/parse.js";
import type { Runtime } from "../runtime.js";
import type { Gateway } from "../server/gateway.js";
import { connectInMemory } from "../server/memory.js";
import type { Finding } from "../state/index.js";
import type { ReviewAdvisor } from "./review-advisor.js";

export interface ReviewOptions {
  /** The target: findings are kept under it, file names are made relative to it. */
  scope: string;
  root: string;
  /** An accepted suggestion at or above this risk waits for a person (the signoff gate). */
  threshold: Severity;
  /** Ledger failures of one tool with one code that make a finding. */
  minRepeats: number;
  /** How far back the ledger watcher looks. */
  ledgerWindowMs: number;
  /** Most suggestions one run puts to the council (the rest wait for the next run). */
  maxSuggestions: number;
  /** Writes the suggestions and casts the council's votes (a model, or the offline rules). */
  advisor: ReviewAdvisor;
}

export interface FindingsArtifact {
  scope: string;
  checks: CheckNote[];
  findings: Array<Finding & { change: Change }>;
}
export interface SuggestionsArtifact {
  suggestions: Array<{ proposal_id: string; suggestion: Suggestion }>;
  skipped: number;
}
export interface CouncilArtifact {
  threshold: Severity;
  decisions: Array<{
    proposal_id: string;
    fingerprint: string;
    status: string;
    reason: string;
    risk: Severity;
    gate: boolean;
    votes: Array<{ agent: string; lens: string; vote: string; reasoning: string }>;
    dissent: string[];
  }>;
}

/** The newest rows of the ledger window the watcher reads. */
const LEDGER_ROWS_READ = 5000;

const councilId = (runId: string, member: string) => `${runId}-council-${member}`;

export function reviewStages(gateway: Gateway, rt: Runtime, opts: ReviewOptions) {
  const connect = async (agentId: string, token: string) =>
    connectGoverned(agentId, (await connectInMemory(gateway, token)).transport);
  const stage =
    (work: (c: GovernedClient, t: StageTask) => Promise<string>): StageExecutor =>
    async (task) => {
      const client = await connect(task.agent_id, task.token);
      const phase = (p: string) => client.must("phase_transition", { phase: p });
      try {
        await phase("BOOTSTRAP");
        await phase("PREFLIGHT");
        await client.must("packet_get");
        await phase("PLAN");
        await client.must("artifact_record", {
          name: "plan",
          kind: "plan",
          content: { stage: task.stage, objective: task.objective, artifacts: task.artifacts },
        });
        await phase("EXECUTE");
        const summary = await work(client, task);
        for (const p of ["VERIFY", "PACKAGE", "REPORT", "EXIT"]) await phase(p);
        return { ok: true, summary };
      } catch (err) {
        return { ok: false, error: err instanceof Error ? err.message : String(err) };
      } finally {
        await client.close().catch(() => {});
      }
    };
  const read = async <T>(c: GovernedClient, runId: string, stageName: string, name: string) =>
    (await c.must("artifact_read", { task_id: `${runId}/${stageName}`, name })).content as T;

  const watch = stage(async (c, task) => {
    const record = await rt.pipelines.status(task.run_id);
    if (!record) throw new Error(`run ${task.run_id} is not on record`);
    const checks: SourceCheck[] = [];
    const notes: CheckNote[] = [];
    for (const st of record.pipeline.stages) {
      if (st.kind !== "command") continue;
      const made = record.stages[st.name]?.artifacts ?? [];
      for (const step of st.steps) {
        const source = step.argv.join(" ");
        // Only what the stage recorded is read: a step that never ran checked nothing.
        if (!made.includes(step.artifact)) {
          checks.push({ source, checked: false, complete: false, observations: [] });
          notes.push({ source, checked: false, format: null, note: "did not run" });
          continue;
        }
        const out = await read<CommandOutput>(c, task.run_id, st.name, step.artifact);
        const { check, note } = readCommand(source, out, opts.root);
        checks.push(check);
        notes.push(note);
      }
    }
    // The whole ledger, read by the runner: audit_query shows a T2 agent only its own rows, and
    // the watcher is after every agent's repeated errors, refusals and revocations.
    const since = new Date(rt.clock.now() - opts.ledgerWindowMs).toISOString();
    const rows = await rt.ledger.query({ since, limit: LEDGER_ROWS_READ });
    // A window with more rows than are read is read in part: what is missing from it is not gone.
    const whole = rows.length < LEDGER_ROWS_READ;
    checks.push({
      source: "ledger",
      checked: true,
      complete: whole,
      observations: watchLedger(rows, { minRepeats: opts.minRepeats, tools: gateway.tools }),
    });
    notes.push({
      source: "ledger",
      checked: true,
      format: "ledger",
      note: whole
        ? `${rows.length} rows`
        : `the newest ${rows.length} rows of the window (more were not read; no ledger finding is resolved from them)`,
    });
    const stored = await rt.state.findings.list(opts.scope);
    const result = reconcile(stored, checks, {
      scope: opts.scope,
      run_id: task.run_id,
      now: rt.clock.now(),
    });
    const artifact: FindingsArtifact = {
      scope: opts.scope,
      checks: notes,
      findings: result.map((r) => ({ ...r.finding, change: r.change })),
    };
    // The artifact first: were the findings stored and the artifact then refused, the next run
    // would find them unchanged and no run would ever review them.
    await c.must("artifact_record", { name: "findings", kind: "deliverable", content: artifact });
    // Seen or resolved by this run; a finding of a source that was not read stays as it was.
    for (const r of result)
      if (r.finding.run_id === task.run_id) await rt.state.findings.put(r.finding);
    const fresh = result.filter(needsReview).length;
    return `${result.filter((r) => r.finding.status === "open").length} open finding(s), ${fresh} new or changed`;
  });

  const suggest = stage(async (c, task) => {
    const found = await read<FindingsArtifact>(c, task.run_id, "watch", "findings");
    const todo = found.findings.filter((f) => needsReview({ finding: f, change: f.change }));
    const voters = COUNCIL.map((m) => councilId(task.run_id, m));
    const out: SuggestionsArtifact = { suggestions: [], skipped: 0 };
    for (const f of todo) {
      if (out.suggestions.length >= opts.maxSuggestions) {
        out.skipped++;
        continue;
      }
      const s = await opts.advisor.suggest(f, f.change, task.signal);
      const p = await c.must("proposal_create", {
        task_id: task.task_id,
        title: s.title.slice(0, 200),
        content: s,
        required_voters: voters,
      });
      out.suggestions.push({ proposal_id: String(p.id), suggestion: s });
    }
    await c.must("artifact_record", { name: "suggestions", kind: "deliverable", content: out });
    return `${out.suggestions.length} suggestion(s) put to the council`;
  });

  const council = stage(async (c, task) => {
    const { suggestions } = await read<SuggestionsArtifact>(
      c,
      task.run_id,
      "suggest",
      "suggestions",
    );
    const proposalsTask = `${task.run_id}/suggest`;
    const out: CouncilArtifact = { threshold: opts.threshold, decisions: [] };
    const members: Array<{ id: string; client: GovernedClient }> = [];
    try {
      if (suggestions.length > 0)
        for (const m of COUNCIL) {
          const id = councilId(task.run_id, m);
          const { token } = await rt.authority.issue({
            agent_id: id,
            tier: 2,
            ttl_ms: 15 * 60_000,
          });
          members.push({ id, client: await connect(id, token) });
        }
      for (const { proposal_id, suggestion } of suggestions) {
        for (const [i, m] of COUNCIL.entries()) {
          const ballot = await opts.advisor.ballot(m, suggestion, task.signal);
          await members[i]!.client.must("vote_cast", {
            task_id: proposalsTask,
            proposal_id,
            vote: ballot.vote,
            reasoning: ballot.reasoning,
          });
        }
        const st = await c.must("consensus_status", { task_id: proposalsTask, proposal_id });
        const p = st.proposals[0]!;
        const winning = p.status === "accepted" ? "ACCEPT" : "REJECT";
        const votes = p.votes.map((v) => {
          const member = COUNCIL.find((m) => v.agent === councilId(task.run_id, m));
          return {
            agent: v.agent,
            lens: member ? LENSES[member] : "outside the council",
            vote: v.vote,
            reasoning: typeof v.reasoning === "string" ? v.reasoning : "",
          };
        });
        out.decisions.push({
          proposal_id,
          fingerprint: suggestion.fingerprint,
          status: p.status,
          reason: p.reason,
          risk: suggestion.risk,
          gate: p.status === "accepted" && atLeast(suggestion.risk, opts.threshold),
          votes,
          dissent: votes.filter((v) => v.vote !== winning).map((v) => v.agent),
        });
      }
    } finally {
      for (const m of members) {
        await m.client.close().catch(() => {});
        await rt.authority.revokeAgent(m.id).catch(() => {});
      }
    }
    await c.must("artifact_record", { name: "council-votes", kind: "deliverable", content: out });
    const gated = out.decisions.filter((d) => d.gate);
    if (gated.length > 0)
      await c.must("artifact_record", {
        name: "gate-request",
        kind: "report",
        content: { proposals: gated.map((d) => d.proposal_id), threshold: opts.threshold },
      });
    return `${out.decisions.length} vote(s); ${gated.length} wait for a person`;
  });

  return { watch, suggest, council };
}
