// The offline model: no network, deterministic, and task-dependent, so `agov run` works on a fresh
// machine and in tests. ALPHA leans scale-first, BETA lean, so GAMMA has real conflicts to settle.
import { z } from "zod";
import type { Model, ModelRequest } from "./model.js";
import { ModelError } from "./model-error.js";
import { hash, picks, readObjective, type Scenario } from "./offline-catalog.js";
import { aim, critique, Reviewable, synthesise, vote } from "./offline-review.js";
import { type Analysis, Critique, type Plan, type Proposal } from "./schemas.js";

export function createOfflineModel(): Model {
  return {
    name: "offline",
    async generate<T>(req: ModelRequest, schema: z.ZodType<T>): Promise<T> {
      req.signal?.throwIfAborted();
      const scenario = readObjective(req.objective);
      const seed = `${req.objective}|${req.role}|${req.kind}|${stableJson(req.context)}`;
      const output = produce(req, scenario, prng(hash(seed)));
      const parsed = schema.safeParse(output);
      if (!parsed.success) {
        throw new ModelError(
          "malformed_output",
          `offline model: its ${req.kind} output does not fit the schema asked for (${parsed.error.issues[0]?.message})`,
          1,
        );
      }
      return parsed.data;
    },
  };
}

/**
 * Whether the offline model can address an objective at all: it drafts software and infrastructure
 * designs only. For anything else its output is a flagged placeholder, and the CLI refuses to run.
 */
export function offlineCoverage(objective: string): { covered: boolean; reason: string } {
  const s = readObjective(objective);
  return s.engineering
    ? { covered: true, reason: `a ${s.domain.id} objective` }
    : {
        covered: false,
        reason: `the offline model only drafts software and infrastructure designs, and "${s.subject}" is neither`,
      };
}

function produce(req: ModelRequest, s: Scenario, rng: () => number): unknown {
  switch (req.kind) {
    case "plan":
      return plan(req, s);
    case "analysis":
      return analysis(s, rng);
    case "proposal":
      return proposal(req, s, rng);
    case "critique":
      return critique(s, req.role, need(req, "proposal", Reviewable));
    case "vote": {
      const target = need(req, "proposal", Reviewable);
      return vote(s, req.role, target, req.context.synthesis === true);
    }
    case "synthesis": {
      const proposals = need(req, "proposals", z.array(Reviewable).min(1));
      const critiques = z
        .array(Critique)
        .catch([])
        .parse(req.context.critiques ?? []);
      return synthesise(s, proposals, critiques);
    }
  }
}

/** The context a kind cannot do without; its absence is the caller's bug, named as such. */
function need<S extends z.ZodType>(req: ModelRequest, key: string, schema: S): z.infer<S> {
  const parsed = schema.safeParse(req.context[key]);
  if (parsed.success) return parsed.data;
  throw new ModelError(
    "client_error",
    `offline model: a ${req.kind} request needs context.${key} (${parsed.error.issues[0]?.message})`,
    1,
  );
}

function plan(req: ModelRequest, s: Scenario): Plan {
  const core = s.domain.components
    .filter((c) => c.tier === "core")
    .map((c) => c.name.toLowerCase());
  const mine = picks(s, req.role).filter((p) => p.component.tier === "core");
  const quals = s.qualifiers.map((q) => q.id);
  const constraints = quals.length > 0 ? quals.join(", ") : "none stated";
  const risks = [...s.qualifiers.map((q) => q.risk), ...s.domain.risks];
  const target = aim(s);
  const kindOf = s.framing === "design" ? "design" : "plan";
  const specialist = typeof req.context.specialist === "string" ? req.context.specialist : null;
  if (specialist && s.engineering) {
    const deliverables = z
      .array(z.string())
      .catch([])
      .parse(req.context.deliverables ?? []);
    return {
      summary: `As the ${specialist}: review the ${target} from that angle and produce ${deliverables.join(", ") || "the deliverables"}.`,
      steps: [
        `Read the first proposal for ${core.join(", ")}`,
        `Review it as the ${specialist} would, and post the review for the mediator`,
        ...deliverables.map((d) => `Write the ${d}`),
      ].slice(0, 8),
      risks: risks.slice(0, 3),
    };
  }
  if (!s.engineering)
    return {
      summary: `A deterministic placeholder: the offline model cannot address "${s.subject}" (it drafts software and infrastructure designs only).`,
      steps: [
        "Say plainly that this objective is outside the offline model",
        "Ask for a real model",
      ],
      risks: ["A placeholder taken for advice"],
    };
  if (req.role === "ALPHA") {
    return {
      summary: `Research the ${target}: pin down requirements and constraints (${constraints}), then propose a scale-first ${kindOf}.`,
      steps: [
        `Analyse the objective: ${s.terms.slice(0, 5).join(", ")}`,
        ...(quals.length > 0 ? [`Work out what ${quals.join(", ")} demand of the design`] : []),
        `Compare the options for ${core.join(", ")}`,
        `Propose a scale-first design on ${mine
          .map((p) => p.option.tech)
          .slice(0, 3)
          .join(", ")}`,
        "Post the analysis and the proposal to the blackboard and send BETA a PROPOSAL",
        "Critique BETA's proposal and vote",
      ],
      risks: risks.slice(0, 4),
    };
  }
  if (req.role === "BETA") {
    return {
      summary: `Synthesise the leanest ${target}, favouring managed services and few moving parts.`,
      steps: [
        "Read the objective and ALPHA's analysis for the hard constraints",
        `Keep the component set small: ${picks(s, "BETA")
          .map((p) => p.component.name.toLowerCase())
          .slice(0, 5)
          .join(", ")}`,
        `Prefer managed, simple options: ${mine
          .map((p) => p.option.tech)
          .slice(0, 3)
          .join(", ")}`,
        "Post the proposal to the blackboard and send ALPHA FEEDBACK",
        "Critique ALPHA's proposal and vote",
      ],
      risks: [
        `Lean choices cap headroom: ${mine[0]?.option.weakness ?? "less room to grow"}`,
        ...risks,
      ].slice(0, 4),
    };
  }
  return {
    summary: `Mediate between ALPHA's and BETA's proposals for the ${target} and bring them to one ${kindOf} both approve.`,
    steps: [
      "Read both proposals and their critiques from the blackboard",
      `List the conflicts, starting with ${core.join(", ")}`,
      `Settle each conflict against the objective's constraints (${constraints})`,
      "Publish the synthesis and broadcast a HANDOFF to ALL",
      "Call the final vote",
    ],
    risks: ["A compromise that answers neither side's core concern", ...risks].slice(0, 4),
  };
}

function analysis(s: Scenario, rng: () => number): Analysis {
  const scope = !s.engineering
    ? `Outside what the offline model can address: it drafts software and infrastructure designs, and "${s.subject}" is not one, so this is a deterministic placeholder.`
    : s.matched.length > 0
      ? `Catalogued as ${s.domain.id} (matched: ${s.matched.join(", ")}): ${s.subject}.`
      : `No catalogued domain matches; the design is built around ${s.terms.slice(0, 3).join(", ") || "the objective's own terms"}.`;
  // Rotate rather than shuffle: the order varies with the request, every finding stays.
  const turn = Math.floor(rng() * s.domain.findings.length);
  const domainFindings = [...s.domain.findings.slice(turn), ...s.domain.findings.slice(0, turn)];
  return {
    findings: [
      { topic: "Scope", detail: scope },
      ...s.qualifiers.map((q) => ({ topic: q.id, detail: q.finding })),
      ...domainFindings.map(([topic, detail]) => ({ topic, detail })),
      ...s.domain.components
        .filter((c) => c.tier === "core")
        .map(({ name, responsibility, options: [a, b] }) => ({
          topic: name,
          detail: `Must ${responsibility}. Candidates: ${a.tech} (${a.strength}) or ${b.tech} (${b.strength}).`,
        })),
    ],
    open_questions: [...s.qualifiers.map((q) => q.question), ...s.domain.questions].slice(0, 6),
    complexity: round2(
      Math.min(0.95, 0.25 + 0.1 * s.qualifiers.length + 0.02 * s.domain.components.length),
    ),
  };
}

function proposal(req: ModelRequest, s: Scenario, rng: () => number): Proposal {
  const chosen = picks(s, req.role);
  const core = chosen.filter((p) => p.component.tier === "core");
  const parts = core.map((p) => `${p.component.name.toLowerCase()} → ${p.option.tech}`).join("; ");
  const settled = {
    scale: [
      "scale-first",
      "Proven technology that scales out",
      "the headroom the objective asks for",
    ],
    lean: ["lean", "The fewest moving parts", "the low cost the objective asks for"],
  } as const;
  const own = {
    ALPHA: [
      "scale-first",
      "Proven technology that scales out",
      "headroom, replay and control, paid for in operations",
    ],
    BETA: [
      "lean",
      "The fewest moving parts",
      "time to production and operating cost, accepting less headroom",
    ],
    GAMMA: [
      "balanced",
      "Scale where needed, simplicity elsewhere",
      "scale where the objective needs it and simplicity elsewhere",
    ],
  }[req.role];
  const stance = s.stance === "open" || !s.engineering ? own : settled[s.stance];
  const open = z.object({ open_questions: z.array(z.string()) }).safeParse(req.context.analysis);
  const carried =
    open.success && open.data.open_questions[0]
      ? [`Open question carried over: ${open.data.open_questions[0]}`]
      : [];
  // A later round answers the peer's feedback but, offline, holds its ground on the core choices:
  // the disagreement is real, and settling it is the mediator's job.
  const round = typeof req.context.round === "number" ? req.context.round : 1;
  const heard = z
    .array(z.object({ concerns: z.array(z.object({ topic: z.string(), issue: z.string() })) }))
    .safeParse(req.context.feedback);
  const answered =
    round > 1 && heard.success
      ? heard.data
          .flatMap((f) => f.concerns)
          .slice(0, 3)
          .map((c) => `Heard the concern on ${c.topic} (${c.issue}); keeping the choice for now`)
      : [];
  return {
    title: `${req.role}: ${stance[0]} ${aim(s)}${round > 1 ? ` (round ${round})` : ""}`,
    summary: `${stance[1]}: ${parts}. Optimises for ${stance[2]}.`,
    components: chosen.map((p) => ({
      name: p.component.name,
      responsibility:
        p.component.responsibility.charAt(0).toUpperCase() + p.component.responsibility.slice(1),
      technology: p.option.tech,
    })),
    tradeoffs: [
      ...core.slice(0, 4).map((p) => `${p.option.tech}: ${p.option.weakness}`),
      ...carried,
      ...answered,
    ],
    confidence: round2(0.6 + rng() * 0.25),
  };
}

const round2 = (n: number) => Math.round(n * 100) / 100;

/** mulberry32: a tiny seeded PRNG, enough to vary wording and scores reproducibly. */
function prng(seed: number): () => number {
  let a = seed;
  return () => {
    a = (a + 0x6d2b79f5) >>> 0;
    let t = a;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

/** JSON with sorted keys, so the same context always seeds the same output. */
function stableJson(value: unknown): string {
  return JSON.stringify(value, (_k, v) =>
    v && typeof v === "object" && !Array.isArray(v)
      ? Object.fromEntries(Object.entries(v).sort(([a], [b]) => a.localeCompare(b)))
      : v,
  );
}
