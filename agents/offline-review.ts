// The offline model's judgement: critiques and votes compare a proposal with the reviewer's own
// preferred design; the synthesis merges proposals and settles every conflict they contain.
import { z } from "zod";
import {
  type CatalogComponent,
  picks,
  preferredIndex,
  type Role,
  type Scenario,
} from "./offline-catalog.js";
import { Component, type Critique, type Synthesis, type Vote } from "./schemas.js";

/** What the offline model needs of a proposal or synthesis found in a request's context. */
export const Reviewable = z.object({
  title: z.string().min(1),
  components: z.array(Component),
  resolved_conflicts: z.array(z.object({ topic: z.string(), resolution: z.string() })).optional(),
});
export type Reviewable = z.infer<typeof Reviewable>;

const norm = (s: string) => s.trim().toLowerCase();
const same = (a: string, b: string) => norm(a) === norm(b);
const lower = (s: string) => s.charAt(0).toLowerCase() + s.slice(1);
const cap = (s: string) => s.charAt(0).toUpperCase() + s.slice(1);

function list(items: string[]): string {
  if (items.length <= 1) return items.join("");
  return `${items.slice(0, -1).join(", ")} and ${items.at(-1)}`;
}

const count = (n: number, noun: string) => `${n} ${noun}${n === 1 ? "" : "s"}`;

/** Topics are component names, some with "and" inside: a plain comma list stays unambiguous. */
const topics = (concerns: { topic: string }[]) => concerns.map((x) => x.topic).join(", ");

function known(s: Scenario, name: string): CatalogComponent | undefined {
  return s.domain.components.find((c) => same(c.name, name));
}

export function critique(s: Scenario, role: Role, target: Reviewable): Critique {
  const mine = picks(s, role);
  const out: Critique = {
    target_title: target.title,
    agreements: [],
    concerns: [],
    suggested_changes: [],
  };
  for (const p of target.components) {
    const own = mine.find((m) => same(m.component.name, p.name));
    const entry = own?.component ?? known(s, p.name);
    if (!entry) continue; // outside the catalog: nothing grounded to say about it
    const theirs = entry.options.find((o) => same(o.tech, p.technology));
    if (own && same(own.option.tech, p.technology)) {
      out.agreements.push(`${p.name} on ${p.technology}: ${own.option.strength}.`);
    } else if (own) {
      out.concerns.push({
        topic: p.name,
        severity: entry.tier === "core" ? "high" : "medium",
        issue: cap(
          `${p.technology} for ${lower(p.name)}: ${theirs?.weakness ?? "not weighed against the objective"}. ` +
            `Prefer ${own.option.tech}: ${own.option.strength}.`,
        ),
      });
      out.suggested_changes.push(`Use ${own.option.tech} for ${lower(p.name)}.`);
    } else {
      out.concerns.push({
        topic: p.name,
        severity: "low",
        issue: `${p.name} is extra scope for a first release: ${theirs?.weakness ?? "more to build and run"}.`,
      });
      out.suggested_changes.push(
        `Move ${lower(p.name)} to a later phase unless the objective needs it now.`,
      );
    }
  }
  for (const m of mine) {
    if (target.components.some((p) => same(p.name, m.component.name))) continue;
    out.concerns.push({
      topic: m.component.name,
      severity: m.component.tier === "core" ? "high" : "medium",
      issue: `Nothing is there to ${m.component.responsibility}.`,
    });
    out.suggested_changes.push(`Add ${lower(m.component.name)} on ${m.option.tech}.`);
  }
  return out;
}

/** Reject over an unresolved high-severity concern; a synthesis that settles them is approved. */
export function vote(s: Scenario, role: Role, target: Reviewable, synthesis: boolean): Vote {
  const c = critique(s, role, target);
  const verdict = (v: Vote["vote"], reason: string): Vote => ({
    proposal_title: target.title,
    vote: v,
    reason,
  });
  if (c.agreements.length + c.concerns.length === 0) {
    return verdict("abstain", "None of its components match what I can assess for this objective.");
  }
  const high = c.concerns.filter((x) => x.severity === "high");
  if (synthesis || target.resolved_conflicts) {
    const settled = new Set((target.resolved_conflicts ?? []).map((r) => norm(r.topic)));
    const open = high.filter((x) => !settled.has(norm(x.topic)));
    if (open.length > 0) {
      return verdict("reject", `It leaves ${topics(open)} unresolved. ${open[0]!.issue}`);
    }
    const addressed = c.concerns.filter((x) => settled.has(norm(x.topic)));
    return verdict(
      "approve",
      addressed.length > 0
        ? `It settles my concerns on ${topics(addressed)} with stated trade-offs and keeps ${count(c.agreements.length, "choice")} I agree with.`
        : `It matches my analysis on ${count(c.agreements.length, "component")}.`,
    );
  }
  if (high.length > 0) {
    return verdict("reject", `I cannot accept the choices for ${topics(high)}. ${high[0]!.issue}`);
  }
  return verdict(
    "approve",
    c.concerns.length > 0
      ? `No blocking issues; ${count(c.concerns.length, "smaller concern")} can be settled in review.`
      : `It matches my analysis on all ${c.agreements.length} components.`,
  );
}

interface Merged {
  name: string;
  responsibility: string;
  choices: { technology: string; from: string }[];
  sources: number;
}

export function synthesise(s: Scenario, proposals: Reviewable[], critiques: Critique[]): Synthesis {
  const merged: Merged[] = [];
  for (const p of proposals) {
    for (const comp of p.components) {
      let m = merged.find((x) => same(x.name, comp.name));
      if (!m) {
        m = { name: comp.name, responsibility: comp.responsibility, choices: [], sources: 0 };
        merged.push(m);
      }
      m.sources++;
      if (!m.choices.some((c) => same(c.technology, comp.technology))) {
        m.choices.push({ technology: comp.technology, from: p.title });
      }
    }
  }
  const resolved: Synthesis["resolved_conflicts"] = [];
  const components: Synthesis["components"] = [];
  let conflicts = 0;
  for (const m of merged) {
    const entry = known(s, m.name);
    const preferred = entry?.options[preferredIndex(s, entry, "GAMMA")];
    const chosen =
      m.choices.find((c) => preferred && same(c.technology, preferred.tech)) ?? m.choices[0]!;
    components.push({
      name: m.name,
      responsibility: m.responsibility,
      technology: chosen.technology,
    });
    if (m.choices.length > 1) {
      conflicts++;
      resolved.push({ topic: m.name, resolution: settle(s, entry, chosen, m.choices) });
    } else if (m.sources < proposals.length) {
      resolved.push({
        topic: m.name,
        resolution: `Keep ${lower(m.name)} on ${chosen.technology} from "${chosen.from}": it is there to ${lower(m.responsibility)}.`,
      });
    }
  }
  // Concerns about something no proposal contains are still answered, so none is left hanging.
  for (const con of critiques.flatMap((c) => c.concerns)) {
    if (con.severity === "low" || resolved.some((r) => same(r.topic, con.topic))) continue;
    if (components.some((c) => same(c.name, con.topic))) continue;
    resolved.push({ topic: con.topic, resolution: `Taken into the next iteration: ${con.issue}` });
  }
  const shared = merged.filter(
    (m) => m.choices.length === 1 && m.sources === proposals.length,
  ).length;
  const scale = s.qualifiers.filter((q) => q.scale).map((q) => q.id);
  return {
    title: `GAMMA synthesis: ${aim(s)}`,
    summary:
      `Merges ${list(proposals.map((p) => `"${p.title}"`))}: keeps ${count(shared, "shared choice")}, settles ` +
      `${count(conflicts, "conflict")} and keeps ${count(merged.length - shared - conflicts, "part")} only one side proposed.`,
    resolved_conflicts: resolved,
    components,
    rationale:
      scale.length > 0
        ? `The objective asks for ${list(scale)} qualities, so core parts take the option built for scale and supporting parts the lighter one, keeping the operating load down where headroom matters less.`
        : "Nothing in the objective demands extreme scale, so conflicts go to the lighter, managed option, while the safeguards only one side proposed are kept as components.",
  };
}

function settle(
  s: Scenario,
  entry: CatalogComponent | undefined,
  chosen: Merged["choices"][number],
  all: Merged["choices"],
): string {
  const others = all.filter((c) => c !== chosen).map((c) => c.technology);
  const mine = entry?.options.find((o) => same(o.tech, chosen.technology));
  const other = entry?.options.find((o) => same(o.tech, others[0] ?? ""));
  if (!entry || !mine || !other)
    return `Use ${chosen.technology} (from "${chosen.from}"); ${list(others)} stays the fallback.`;
  const scale = s.qualifiers.filter((q) => q.scale).map((q) => q.id);
  const why =
    entry.tier === "core" && scale.length > 0
      ? `The objective's ${list(scale)} needs outweigh what ${other.tech} offers (${other.strength}).`
      : `Nothing in the objective needs ${other.tech} enough to accept its cost (${other.weakness}).`;
  return `Use ${chosen.technology}: ${mine.strength}. ${why} Accepted cost: ${mine.weakness}.`;
}

/** "design for <thing>" or "plan to <action>", short enough for a title. */
export function aim(s: Scenario): string {
  const subject = s.subject.length > 70 ? `${s.subject.slice(0, 69).trimEnd()}…` : s.subject;
  return s.framing === "design" ? `design for ${subject}` : `plan to ${subject}`;
}
