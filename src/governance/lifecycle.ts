// The agent lifecycle: BOOTSTRAP → PREFLIGHT → PLAN → EXECUTE → VERIFY → PACKAGE → REPORT → EXIT,
// one phase at a time, and which tools each phase allows. Pure rules; the engine applies them.
import { DEFAULT_WRITE_PHASES, PHASES, type Phase } from "../../protocol/lifecycle.js";

export { DEFAULT_WRITE_PHASES, PHASES, type Phase };

/** What the engine needs to know about a tool to gate it. */
export interface GatedTool {
  name: string;
  /** Read-only tools run in every phase, and before BOOTSTRAP. */
  readOnly: boolean;
  /** Phases in which this tool may run; "any" for lifecycle tools themselves. */
  phases?: readonly Phase[] | "any";
}

export function phaseIndex(p: Phase): number {
  return PHASES.indexOf(p);
}

export function nextPhase(p: Phase): Phase | null {
  return PHASES[phaseIndex(p) + 1] ?? null;
}

/** Why moving from `from` to `to` breaks procedure, or null when it is the next phase. */
export function transitionProblem(from: Phase | null, to: Phase): string | null {
  if (from === null || from === "EXIT") {
    return to === "BOOTSTRAP"
      ? null
      : `no run in progress: the first phase is BOOTSTRAP, not ${to}`;
  }
  const expected = nextPhase(from)!;
  if (to === expected) return null;
  if (phaseIndex(to) <= phaseIndex(from))
    return `going back from ${from} to ${to}; the lifecycle only moves forward (next: ${expected})`;
  return `skipping from ${from} to ${to}; the next phase is ${expected}`;
}

/** Why `tool` may not run in `phase` (null = allowed). `phase` null: no run has started. */
export function phaseProblem(tool: GatedTool, phase: Phase | null): string | null {
  if (tool.readOnly || tool.phases === "any") return null;
  const allowed = tool.phases ?? DEFAULT_WRITE_PHASES;
  if (phase !== null && allowed.includes(phase)) return null;
  const where = allowed.join(", ");
  return phase === null
    ? `${tool.name} before BOOTSTRAP: an agent with an instruction packet must start its run first (allowed in ${where})`
    : `${tool.name} is not allowed in ${phase} (allowed in ${where})`;
}
