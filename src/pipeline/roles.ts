// The roles a stage's `agent:` may name: built-in ones (the seed's planner and executor, a
// reviewer, and the bundled ALPHA/BETA/GAMMA), plus any a pipeline declares with a tier.
import type { RoleDef } from "./types.js";

export const BUILTIN_ROLES: Readonly<Record<string, RoleDef>> = Object.freeze({
  planner: {
    name: "planner",
    tier: 0,
    description: "Reads the situation and writes plans; changes nothing (T0 observer).",
    builtin: true,
  },
  reviewer: {
    name: "reviewer",
    tier: 1,
    description: "Reviews changes and plans and records findings (T1 operator).",
    builtin: true,
  },
  executor: {
    name: "executor",
    tier: 3,
    description: "Carries out an approved plan in staging (T3 executor).",
    builtin: true,
  },
  ALPHA: {
    name: "ALPHA",
    tier: 2,
    description: "Research: requirements, constraints, risks (T2 builder).",
    builtin: true,
  },
  BETA: {
    name: "BETA",
    tier: 2,
    description: "Synthesis: the simplest design that can ship (T2 builder).",
    builtin: true,
  },
  GAMMA: {
    name: "GAMMA",
    tier: 2,
    description: "Mediation: reconciles proposals and settles conflicts (T2 builder).",
    builtin: true,
  },
});
