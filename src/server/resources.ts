// agov's state as MCP resources (agov://…). A resource is a view of one read-only tool: reading it
// is that tool's governed call on the caller's behalf (same grants, same packet scope, same ledger
// row, action "resources/read <uri>"), so a caller can never read through a resource what the tool
// would refuse it. The catalogue here only maps URIs to tool calls and events to URIs.
import type { AgovEvent } from "../state/index.js";

export interface ResourceKind {
  name: string;
  title: string;
  description: string;
  /** RFC 6570 template; a fixed URI when it has no {…}. */
  template: string;
  /** The tool whose governed call answers a read. */
  tool: string;
  /** A tier above the tool's own, when the resource shows more than the tool's caller sees. */
  tier?: number;
  /** Parameters of the template, in order; each matches one URI segment (percent-encoded). */
  params: readonly string[];
  args(p: Record<string, string>): Record<string, unknown>;
  /** Whether an event changes what this resource shows to `agent`. */
  touched(e: AgovEvent, p: Record<string, string>, agent: string): boolean;
}

const sameTask = (e: AgovEvent, p: Record<string, string>) =>
  "task_id" in e && e.task_id === p.task_id;

export const RESOURCE_KINDS: readonly ResourceKind[] = [
  {
    name: "blackboard-section",
    title: "Blackboard section",
    description:
      "One section (problem, solutions, progress, consensus) of a task's blackboard, as blackboard_read returns it.",
    template: "agov://tasks/{task_id}/blackboard/{section}",
    tool: "blackboard_read",
    params: ["task_id", "section"],
    args: (p) => ({ task_id: p.task_id, section: p.section }),
    touched: (e, p) => e.type === "blackboard" && sameTask(e, p) && e.section === p.section,
  },
  {
    name: "blackboard",
    title: "Blackboard",
    description: "Every section of a task's blackboard, as blackboard_read returns it.",
    template: "agov://tasks/{task_id}/blackboard",
    tool: "blackboard_read",
    params: ["task_id"],
    args: (p) => ({ task_id: p.task_id }),
    touched: (e, p) => e.type === "blackboard" && sameTask(e, p),
  },
  {
    name: "messages",
    title: "My messages",
    description:
      "The messages sent to you (or to ALL) on a task, as message_read returns them; updated when one arrives.",
    template: "agov://tasks/{task_id}/messages",
    tool: "message_read",
    params: ["task_id"],
    args: (p) => ({ task_id: p.task_id }),
    touched: (e, p, agent) =>
      e.type === "message" &&
      sameTask(e, p) &&
      (e.to === agent || (e.to === "ALL" && e.from !== agent)),
  },
  {
    name: "handoff",
    title: "Task handoff",
    description: "The latest handoff of a task, as handoff_read returns it.",
    template: "agov://tasks/{task_id}/handoff",
    tool: "handoff_read",
    params: ["task_id"],
    args: (p) => ({ task_id: p.task_id }),
    touched: (e, p) => e.type === "handoff" && sameTask(e, p),
  },
  {
    name: "spawn-conditions",
    title: "Spawn conditions",
    description:
      "Whether a task needs its mediator (STUCK, CONFLICT, COMPLEXITY, SUCCESS) and its roster, as spawn_conditions returns them; updated on every phase transition, proposal, vote and blackboard post of the task. STUCK depends on time: its stale_in_ms says when to look again.",
    template: "agov://tasks/{task_id}/spawn-conditions",
    tool: "spawn_conditions",
    params: ["task_id"],
    args: (p) => ({ task_id: p.task_id }),
    touched: (e, p) =>
      (e.type === "blackboard" || e.type === "roster" || e.type === "handoff") && sameTask(e, p),
  },
  {
    name: "packet",
    title: "My instruction packet",
    description: "Your own instruction packet, as packet_get returns it.",
    template: "agov://agents/me/packet",
    tool: "packet_get",
    params: [],
    args: () => ({}),
    touched: (e, _p, agent) => e.type === "packet" && e.agent_id === agent,
  },
  {
    name: "pipeline-runs",
    title: "Pipeline runs",
    description: "The most recent pipeline runs, as pipeline_status returns them.",
    template: "agov://pipelines/runs",
    tool: "pipeline_status",
    params: [],
    args: () => ({}),
    touched: (e) => e.type === "pipeline_run",
  },
  {
    name: "pipeline-run",
    title: "Pipeline run",
    description: "One pipeline run's stages, as pipeline_status returns it.",
    template: "agov://pipelines/runs/{run_id}",
    tool: "pipeline_status",
    params: ["run_id"],
    args: (p) => ({ run_id: p.run_id }),
    touched: (e, p) => e.type === "pipeline_run" && e.run_id === p.run_id,
  },
  {
    name: "pipelines",
    title: "Pipelines",
    description: "The pipelines that can be run by name, as pipeline_describe lists them.",
    template: "agov://pipelines/defs",
    tool: "pipeline_describe",
    params: [],
    args: () => ({}),
    // Files on the server, not state: a reader reads again when it wants the newest list.
    touched: () => false,
  },
  {
    name: "pipeline",
    title: "Pipeline",
    description:
      "One pipeline as validated, each stage with its kind, tier, commands or GitHub action, as pipeline_describe returns it.",
    template: "agov://pipelines/defs/{pipeline}",
    tool: "pipeline_describe",
    params: ["pipeline"],
    args: (p) => ({ pipeline: p.pipeline }),
    touched: () => false,
  },
  {
    name: "ledger-tail",
    title: "Ledger tail",
    description:
      "The newest 100 rows of the audit ledger, every agent's (T4 only), as audit_query returns them.",
    template: "agov://ledger/tail",
    tool: "audit_query",
    tier: 4,
    params: [],
    args: () => ({ limit: 100 }),
    // The ledger is not a state event: a reader reads again when it wants the newest rows.
    touched: () => false,
  },
];

const matchers = RESOURCE_KINDS.map((kind) => {
  const source = kind.template
    .replace(/[.*+?^$()|[\]\\]/g, "\\$&")
    .replace(/\{[a-z_]+\}/g, "([^/?#]+)");
  return { kind, re: new RegExp(`^${source}$`) };
});

/** The kind and parameters of a URI, or null when it names no agov resource. */
export function parseResourceUri(
  uri: string,
): { kind: ResourceKind; params: Record<string, string> } | null {
  for (const { kind, re } of matchers) {
    const m = re.exec(uri);
    if (!m) continue;
    const params: Record<string, string> = Object.create(null);
    try {
      kind.params.forEach((name, i) => {
        params[name] = decodeURIComponent(m[i + 1]!);
      });
    } catch {
      return null; // a malformed %-escape
    }
    return { kind, params };
  }
  return null;
}

/** The URI of a resource, its parameters percent-encoded (a task id may hold "/"). */
export function resourceUri(kind: ResourceKind, params: Record<string, string>): string {
  return kind.template.replace(/\{([a-z_]+)\}/g, (_, k: string) =>
    encodeURIComponent(params[k] ?? ""),
  );
}
