// Reads an objective the way the offline model needs it: which domain catalog applies (or a generic
// one built from the objective's own nouns), which qualities it asks for, and what its subject is.
import { DOMAINS } from "./offline-domains.js";

/** core: disagreement is high severity; support: medium; ALPHA/BETA: only that role proposes it. */
export type Tier = "core" | "support" | "ALPHA" | "BETA";

export interface TechOption {
  tech: string;
  strength: string;
  weakness: string;
}

export interface CatalogComponent {
  name: string;
  responsibility: string;
  tier: Tier;
  /** [scale-first, lean]: ALPHA leans to the first, BETA to the second. */
  options: [TechOption, TechOption];
}

export interface Domain {
  id: string;
  keywords: string[];
  components: CatalogComponent[];
  findings: [topic: string, detail: string][];
  questions: string[];
  risks: string[];
}

export interface Qualifier {
  id: string;
  keywords: string[];
  /** The objective asks for headroom: the mediator then sides with the scale-first option. */
  scale: boolean;
  finding: string;
  question: string;
  risk: string;
}

// biome-ignore format: a data table reads best one entry per line
const QUALIFIERS: Qualifier[] = [
  { id: "distributed", keywords: ["distributed", "multi-region", "global", "geo-distributed", "federated"], scale: true,
    finding: "Work spans machines and regions: partial failures, clock skew and partitions are normal, so every hop needs timeouts, idempotency and backpressure.",
    question: "Which operations need strong consistency across nodes, and which can be eventually consistent?",
    risk: "Partial failures cascade when calls lack timeouts and backpressure" },
  { id: "event-driven", keywords: ["event-driven", "asynchronous", "async", "pub/sub", "messaging", "message-driven"], scale: false,
    finding: "Asynchronous events mean at-least-once delivery: consumers must be idempotent, and order holds only per key.",
    question: "Which events must be processed in order, and by which key?",
    risk: "Duplicate or reordered events corrupt derived state" },
  { id: "real-time", keywords: ["real-time", "realtime", "low-latency", "latency", "live", "streaming"], scale: true,
    finding: "A latency budget has to be set end to end and split across hops before technology is chosen.",
    question: "What end-to-end latency is required at the 99th percentile?",
    risk: "Tail latency exceeds the budget under load" },
  { id: "scale", keywords: ["scalable", "scale", "high-volume", "high-throughput", "million", "millions", "billion", "billions", "petabyte", "large-scale"], scale: true,
    finding: "Growth targets decide partitioning and storage layout now; retrofitting them later means a migration.",
    question: "What volume is expected at launch, and in two years?",
    risk: "A single-node component becomes the ceiling" },
  { id: "availability", keywords: ["highly-available", "high-availability", "resilient", "fault-tolerant", "reliable", "always-on", "mission-critical"], scale: true,
    finding: "Availability targets need redundancy in every tier and tested failover, not only replicas.",
    question: "What availability target (and error budget) is agreed with users?",
    risk: "Failover that has never been exercised fails when needed" },
  { id: "compliance", keywords: ["secure", "compliance", "compliant", "gdpr", "hipaa", "pci", "regulated", "privacy", "pii", "audit"], scale: false,
    finding: "Regulated data needs classification, encryption, access logging and retention rules designed in from the start.",
    question: "Which data is regulated, and which rules (GDPR, HIPAA, PCI) apply?",
    risk: "Personal data copied into places without access control" },
  { id: "multi-tenant", keywords: ["multi-tenant", "multitenant", "tenant", "tenants"], scale: false,
    finding: "Tenants must be isolated in data, quotas and noisy-neighbour effects.",
    question: "Do tenants need physical isolation, or is logical isolation enough?",
    risk: "One tenant's load degrades everyone" },
  { id: "cost", keywords: ["cheap", "low-cost", "cost-effective", "budget", "frugal", "startup", "small team"], scale: false,
    finding: "The budget favours managed services and fewer moving parts over peak headroom.",
    question: "What monthly budget and team size must run this?",
    risk: "Operating cost outgrows the value delivered" },
  { id: "migration", keywords: ["migrate", "migration", "legacy", "modernize", "modernise", "replatform", "monolith"], scale: false,
    finding: "A migration runs two systems at once: cutover, rollback and data synchronisation need a plan before traffic moves.",
    question: "Can the old and new systems run side by side, and for how long?",
    risk: "Data diverges while old and new systems both write" },
];

const STOPWORDS = new Set(
  (
    "a an the and or of for to in on with without into from by at as our your their its this that " +
    "these those be is are was were it we you they should must can will would new using use via " +
    "based system systems design build create make implement develop plan write set up setup " +
    "propose architect architecture solution platform service services"
  ).split(" "),
);

const DESIGN_VERB =
  /^(please\s+)?(design|build|create|make|implement|develop|architect|propose|plan|set up|sketch)\s+/i;
const ACTION_VERBS = new Set(
  (
    "migrate move replace modernise modernize scale secure automate add reduce improve refactor " +
    "split consolidate port upgrade deploy harden introduce rebuild rewrite integrate adopt " +
    "containerise containerize optimise optimize launch ship roll run provide enable plan"
  ).split(" "),
);

export interface Scenario {
  /**
   * What the objective is about: a thing to design ("a distributed event-driven analytics
   * platform", its verb dropped) or an action to plan ("migrate a monolith to Kubernetes").
   */
  subject: string;
  framing: "design" | "action";
  /** The objective's own significant words, in order. */
  terms: string[];
  domain: Domain;
  /** The keywords that selected the domain; empty for the generic domain. */
  matched: string[];
  qualifiers: Qualifier[];
  scaleDemand: boolean;
  /**
   * Which way the objective settles the core trade-off: "scale" when it asks for headroom and not
   * for low cost, "lean" for the reverse; "open" when it asks for both or neither, and the agents'
   * own leanings (ALPHA scale-first, BETA lean) decide, so they disagree.
   */
  stance: "scale" | "lean" | "open";
  /** A software or infrastructure objective: the only kind the offline model can draft for. */
  engineering: boolean;
}

/** Words that make an objective an engineering one even when no domain catalog matches it. */
const ENGINEERING = new Set(
  (
    "platform service services system systems software database data pipeline pipelines code " +
    "codebase tool tools tooling automation integration deployment architecture sdk cli library " +
    "queue cache storage compute program script bot scheduler workflow etl repository repo " +
    "endpoint app apps tracker"
  ).split(" "),
);

const WORD = /[a-z0-9][a-z0-9/'-]*/g;

/** Words, with hyphenated ones also split: "event-driven" matches both "event-driven" and "event". */
function tokens(text: string): string[] {
  const words = text.toLowerCase().match(WORD) ?? [];
  return words.flatMap((w) => (w.includes("-") ? [w, ...w.split("-").filter(Boolean)] : [w]));
}

function hits(keywords: string[], lower: string, words: Set<string>): string[] {
  return keywords.filter((k) =>
    k.includes(" ") ? lower.includes(k) : words.has(k) || words.has(`${k}s`) || words.has(`${k}es`),
  );
}

const titleCase = (s: string) => s.charAt(0).toUpperCase() + s.slice(1);

export function readObjective(objective: string): Scenario {
  const trimmed = objective.trim().replace(/[.!?]+$/, "");
  const design = DESIGN_VERB.exec(trimmed);
  const first = trimmed.split(/\s+/)[0]?.toLowerCase() ?? "";
  const framing = !design && ACTION_VERBS.has(first) ? "action" : "design";
  const stripped = (design ? trimmed.slice(design[0].length) : trimmed) || trimmed;
  const subject =
    framing === "action" ? stripped.charAt(0).toLowerCase() + stripped.slice(1) : stripped;

  const lower = objective.toLowerCase();
  const words = new Set(tokens(objective));
  const scored = DOMAINS.map((d) => ({ d, matched: hits(d.keywords, lower, words) }))
    .filter((s) => s.matched.length > 0)
    .sort((a, b) => b.matched.length - a.matched.length);
  const terms = [
    ...new Set((lower.match(WORD) ?? []).filter((w) => !STOPWORDS.has(w) && w.length > 2)),
  ];
  const best = scored[0];
  let domain = best?.d ?? genericDomain(subject, terms);
  // A second domain in the objective lends its first core component: "a secure ML API" gets both.
  const second = scored[1];
  if (best && second) {
    const lent = second.d.components.find(
      (c) => c.tier === "core" && !best.d.components.some((o) => o.name === c.name),
    );
    if (lent) {
      domain = { ...best.d, components: [...best.d.components, { ...lent, tier: "support" }] };
    }
  }
  const qualifiers = QUALIFIERS.filter((q) => hits(q.keywords, lower, words).length > 0);
  const engineering = !!best || [...words].some((w) => ENGINEERING.has(w));
  if (!engineering) domain = outsideDomain(subject, terms);
  const scaleDemand = qualifiers.some((q) => q.scale);
  const cost = qualifiers.some((q) => q.id === "cost");
  return {
    subject,
    framing,
    terms,
    domain,
    matched: best?.matched ?? [],
    qualifiers,
    scaleDemand,
    stance: scaleDemand && !cost ? "scale" : cost && !scaleDemand ? "lean" : "open",
    engineering,
  };
}

/** No catalog matches: build the components from the objective's own words. */
function genericDomain(subject: string, terms: string[]): Domain {
  // The head of the subject's first noun phrase: "a community garden volunteer schedule for …"
  // gives "volunteer schedule".
  const words = subject.toLowerCase().match(WORD) ?? [];
  const start = words.findIndex((w) => !STOPWORDS.has(w));
  const end = words.findIndex((w, i) => i > start && STOPWORDS.has(w));
  const phrase = start < 0 ? [] : words.slice(start, end < 0 ? undefined : end);
  const a = phrase.slice(-2).join(" ") || "core";
  const b = a;
  const opt = (tech: string, strength: string, weakness: string) => ({ tech, strength, weakness });
  const comp = (name: string, responsibility: string, tier: Tier, x: TechOption, y: TechOption) =>
    ({ name, responsibility, tier, options: [x, y] }) satisfies CatalogComponent;
  // biome-ignore format: a data table reads best one entry per line
  return {
    id: "generic",
    keywords: [],
    components: [
      comp(`${titleCase(a)} service`, `own the ${a} model and its rules`, "core",
        opt("Kotlin service on Spring Boot", "a mature ecosystem for complex domain logic", "a heavier runtime and slower iteration"),
        opt("TypeScript service on Node.js", "one language from UI to backend and fast iteration", "weaker guarantees for heavy computation")),
      comp(`${titleCase(b)} workflows`, `coordinate the ${b} steps, retries and approvals`, "core",
        opt("Temporal workflows", "durable, replayable workflows with explicit state", "a Temporal cluster to run"),
        opt("a job queue in PostgreSQL (pg-boss)", "no new infrastructure", "hand-written state machines for long flows")),
      comp("Primary data store", `keep the ${a} records consistent`, "core",
        opt("PostgreSQL with streaming replicas", "transactions and failover under our control", "replication to operate"),
        opt("managed PostgreSQL", "backups and failover handled by the provider", "a provider lock")),
      comp("Interface", `give people and systems access to the ${a} capabilities`, "support",
        opt("GraphQL API with a web client", "clients fetch exactly what they need", "caching and rate limiting are harder"),
        opt("REST API (OpenAPI) with server-rendered pages", "simple, cacheable and widely understood", "more round trips for rich screens")),
      comp("Audit and change history", `record who changed which ${a} data and when`, "ALPHA",
        opt("append-only event log per entity", "full history and easy audits", "more storage and projections to maintain"),
        opt("updated-at columns and a change table", "cheap to add", "partial history")),
      comp("Operations console", `let operators fix ${b} problems without a deploy`, "BETA",
        opt("custom admin UI", "tailored to the work", "another app to build"),
        opt("a generated admin (e.g. AdminJS)", "ready in a day", "generic screens")),
    ],
    findings: [
      ["Core entities", `The objective centres on ${terms.slice(0, 3).join(", ") || "its core entities"}; their lifecycle and owners come first.`],
      ["Success criteria", "No measurable target is stated; agreeing one early keeps the design honest."],
    ],
    questions: [`Who uses the ${a} capabilities, and how often?`, "What does success look like in numbers?"],
    risks: ["Scope creep without a measurable goal", "Unclear data ownership between components"],
  };
}

/**
 * Not software or infrastructure ("plan a bake sale"): no technology to choose, only how the work
 * is organised, so nothing in the output pretends to be an architecture. Flagged as a placeholder.
 */
function outsideDomain(subject: string, terms: string[]): Domain {
  const what = terms.slice(0, 2).join(" ") || "task";
  const opt = (tech: string, strength: string, weakness: string) => ({ tech, strength, weakness });
  const comp = (name: string, responsibility: string, tier: Tier, x: TechOption, y: TechOption) =>
    ({ name, responsibility, tier, options: [x, y] }) satisfies CatalogComponent;
  // biome-ignore format: a data table reads best one entry per line
  return {
    id: "outside",
    keywords: [],
    components: [
      comp(`${titleCase(what)} plan`, `set out who does what, and by when, for ${subject}`, "core",
        opt("a written plan with an owner and a date per step", "nothing is left implicit", "takes longer to agree"),
        opt("a short checklist", "quick to write and follow", "gaps show only when they bite")),
      comp("Coordination", "keep everyone involved informed and unblocked", "support",
        opt("a weekly check-in", "problems surface early", "a standing meeting to keep"),
        opt("a shared notice board or group chat", "cheap and always there", "easy to miss")),
      comp("Review", "look back at what worked once it is done", "ALPHA",
        opt("a written retrospective", "lessons kept for next time", "another document"),
        opt("a quick conversation", "no overhead", "lessons forgotten")),
    ],
    findings: [
      ["Outside the catalog", `The offline model drafts software and infrastructure designs; "${subject}" is not one, so what follows is a deterministic placeholder, not advice.`],
    ],
    questions: ["Who owns the outcome, and by when is it needed?"],
    risks: ["A placeholder taken for advice: use a real model for this objective"],
  };
}

export type Role = "ALPHA" | "BETA" | "GAMMA";

export interface Pick {
  component: CatalogComponent;
  option: TechOption;
}

/** 32-bit FNV-1a: small, stable across runs and platforms. */
export function hash(text: string): number {
  let h = 0x811c9dc5;
  for (let i = 0; i < text.length; i++) {
    h ^= text.charCodeAt(i);
    h = Math.imul(h, 0x01000193);
  }
  return h >>> 0;
}

/**
 * The option a role prefers for a component. ALPHA leans scale-first and BETA lean, except on some
 * supporting parts where both agree (decided by the objective alone, so both roles see the same).
 * GAMMA keeps agreements, and otherwise sides with scale on core parts when the objective asks for
 * it, and with the lighter option elsewhere.
 */
export function preferredIndex(s: Scenario, c: CatalogComponent, role: Role): 0 | 1 {
  if (c.tier === "ALPHA") return 0;
  if (c.tier === "BETA") return 1;
  const roll = hash(`${s.subject}|${c.name}`) / 2 ** 32;
  if (c.tier === "support" && roll < 0.4) return roll < 0.2 ? 0 : 1;
  // An objective that settles the trade-off settles it for everyone: the agents then agree.
  if (s.stance !== "open") return s.stance === "scale" ? 0 : 1;
  if (role === "ALPHA") return 0;
  if (role === "BETA") return 1;
  return c.tier === "core" && s.scaleDemand ? 0 : 1;
}

/** The components a role would propose, with its preferred technology for each. */
export function picks(s: Scenario, role: Role): Pick[] {
  return s.domain.components
    .filter((c) => role === "GAMMA" || (c.tier !== "ALPHA" && c.tier !== "BETA") || c.tier === role)
    .map((component) => ({
      component,
      option: component.options[preferredIndex(s, component, role)],
    }));
}
