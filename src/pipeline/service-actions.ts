// What people and agents do to a run from outside its runner: decide a waiting gate, and take an
// assigned stage (stage_run). Both are written to the StateStore, where the runner picks them up.
import type { Caller } from "../authority/index.js";
import type { Governance } from "../governance/index.js";
import type { Ledger } from "../ledger/index.js";
import type { StateStore } from "../state/index.js";
import type { Clock } from "../util/clock.js";
import { AgovError } from "../util/errors.js";
import { stageObjective, stagePacket } from "./agent-stage.js";
import type { RunStore } from "./record.js";
import type { RunRecord } from "./types.js";

interface Deps {
  ledger: Ledger;
  clock: Clock;
  governance: Governance;
  state: StateStore;
}

export async function decideGate(
  deps: Deps,
  store: RunStore,
  record: RunRecord,
  stage: string,
  d: { decision: "approve" | "reject"; by: string; reason?: string | undefined },
) {
  const def = record.pipeline.stages.find((s) => s.name === stage);
  if (!def)
    throw new AgovError(
      "NOT_FOUND",
      `run ${record.run_id} has no stage "${stage}" (stages: ${record.pipeline.stages.map((s) => s.name).join(", ")})`,
    );
  if (def.kind !== "human-gate")
    throw new AgovError("INVALID_INPUT", `stage ${stage} is an agent stage, not a human gate`);
  const s = record.stages[stage]!;
  const now = deps.clock.now();
  if (s.status !== "waiting")
    throw new AgovError(
      "CONFLICT",
      `gate ${stage} of run ${record.run_id} is ${s.status}, not waiting for a decision${s.reason ? ` (${s.reason})` : ""}`,
    );
  if (s.deadline !== null && now >= s.deadline)
    throw new AgovError(
      "CONFLICT",
      `gate ${stage} of run ${record.run_id} timed out at ${new Date(s.deadline).toISOString()}`,
    );
  const earlier = await store.decision(record.run_id, stage);
  if (earlier)
    throw new AgovError(
      "CONFLICT",
      `gate ${stage} of run ${record.run_id} was already ${earlier.decision}d by ${earlier.by}`,
    );
  // One decision per gate, even when two people decide at the same instant: the first to take
  // this one-shot claim (atomic in either store) decides; the other is told who did.
  const claim = await deps.state.locks.acquire(
    // One claim per wait: a gate reopened on resume waits again under a new deadline.
    `pipeline:gate:${record.run_id}:${stage}:${s.deadline ?? "none"}`,
    d.by,
    Math.max(60_000, (s.deadline ?? now) - now + 60_000),
  );
  if (!claim.acquired)
    throw new AgovError(
      "CONFLICT",
      `gate ${stage} of run ${record.run_id} is being decided by ${claim.holder}`,
    );
  const reason = d.reason ?? "";
  await store.decide(record.run_id, stage, { decision: d.decision, by: d.by, reason, at: now });
  await deps.ledger.record(
    {
      kind: "pipeline",
      agent_id: d.by,
      action: `gate ${d.decision}: pipeline ${record.pipeline.name} run ${record.run_id} stage ${stage}${reason ? ` (${reason})` : ""}`,
      decision: "allow",
    },
    { success: true },
  );
  return { run_id: record.run_id, stage, decision: d.decision, by: d.by, reason };
}

export async function claimStage(
  deps: Deps,
  store: RunStore,
  record: RunRecord,
  caller: Caller,
  stage: string,
) {
  const def = record.pipeline.stages.find((s) => s.name === stage);
  if (def?.kind !== "agent")
    throw new AgovError("NOT_FOUND", `run ${record.run_id} has no agent stage "${stage}"`);
  const assignee = record.assign[stage];
  if (!assignee)
    throw new AgovError(
      "DENIED",
      `stage ${stage} of run ${record.run_id} is not assigned to an agent; the run's own stage agents work it`,
    );
  if (assignee !== caller.agent_id)
    throw new AgovError(
      "DENIED",
      `stage ${stage} of run ${record.run_id} is assigned to ${assignee}, not to ${caller.agent_id}`,
    );
  if (caller.tier < def.tier)
    throw new AgovError(
      "DENIED",
      `stage ${stage} asks for tier T${def.tier}; ${caller.agent_id} is T${caller.tier}`,
      { required_tier: def.tier, tier: caller.tier },
    );
  const s = record.stages[stage]!;
  const claim = await store.claim(record.run_id, stage);
  if (s.status === "pending")
    throw new AgovError(
      "CONFLICT",
      `stage ${stage} of run ${record.run_id} has not started yet; it runs after ${def.requires.join(", ") || "the stages before it"}`,
    );
  if (s.status !== "waiting" && !(s.status === "running" && claim?.agent_id === caller.agent_id))
    throw new AgovError(
      "CONFLICT",
      `stage ${stage} of run ${record.run_id} is ${s.status}; it cannot be taken now`,
    );
  const current = await deps.governance.getRun(caller.agent_id);
  if (current && !current.revoked && current.phase !== "EXIT" && current.task_id !== s.task_id)
    throw new AgovError(
      "CONFLICT",
      `you have a run in progress on task ${current.task_id} (${current.phase}); finish it (EXIT) before taking a stage`,
    );
  const packet = await deps.governance.createStagePacket(
    record.run_id,
    stagePacket(record, def, caller.agent_id, await stageObjective(deps.state, record, def)),
  );
  if (claim?.agent_id !== caller.agent_id)
    await store.putClaim(record.run_id, stage, { agent_id: caller.agent_id, at: deps.clock.now() });
  return {
    run_id: record.run_id,
    stage,
    task_id: s.task_id,
    packet,
    next: `phase_transition BOOTSTRAP with task_id ${s.task_id}, walk the lifecycle, record ${def.artifacts.join(", ") || "your plan"} with artifact_record, and reach EXIT`,
  };
}
