// The offline model: deterministic, task-dependent, schema-valid output, and the disagreement →
// mediation → approval arc the multi-agent run depends on.
import { describe, expect, it } from "vitest";
import { z } from "zod";
import type { AgentRole, ModelRequest } from "../../agents/model.js";
import { ModelError } from "../../agents/model-error.js";
import { createOfflineModel, offlineCoverage } from "../../agents/offline-model.js";
import {
  Analysis,
  Critique,
  type ModelTaskKind,
  outputSchemas,
  Proposal,
  Synthesis,
  Vote,
} from "../../agents/schemas.js";

const ANALYTICS = "Design a distributed event-driven analytics platform";
const K8S = "Migrate a monolith to Kubernetes";
/** Asks for scale and for low cost at once: the trade-off is left to the agents. */
const TENSE = "Design a distributed, low-cost event-driven analytics platform";
const model = createOfflineModel();

function ask<T>(
  role: AgentRole,
  kind: ModelTaskKind,
  objective: string,
  schema: z.ZodType<T>,
  context: Record<string, unknown> = {},
) {
  const req: ModelRequest = { role, kind, objective, context };
  return model.generate(req, schema);
}

/** One objective's first round: both proposals and the critique each agent writes of the other's. */
async function firstRound(objective: string) {
  const alpha = await ask("ALPHA", "proposal", objective, Proposal);
  const beta = await ask("BETA", "proposal", objective, Proposal);
  const alphaOnBeta = await ask("ALPHA", "critique", objective, Critique, { proposal: beta });
  const betaOnAlpha = await ask("BETA", "critique", objective, Critique, { proposal: alpha });
  return { alpha, beta, alphaOnBeta, betaOnAlpha };
}

describe("offline model", () => {
  it("answers the same request with the same output, and another role differently", async () => {
    for (const kind of ["plan", "analysis", "proposal"] as const) {
      const schema: z.ZodType<unknown> = outputSchemas[kind];
      const a = await ask("ALPHA", kind, ANALYTICS, schema);
      expect(await ask("ALPHA", kind, ANALYTICS, schema)).toEqual(a);
      if (kind !== "analysis") expect(await ask("BETA", kind, ANALYTICS, schema)).not.toEqual(a);
    }
    const { beta } = await firstRound(ANALYTICS);
    const c1 = await ask("ALPHA", "critique", ANALYTICS, Critique, { proposal: beta });
    const c2 = await ask("ALPHA", "critique", ANALYTICS, Critique, { proposal: { ...beta } });
    expect(c2).toEqual(c1);
  });

  it("builds components that fit the objective", async () => {
    const analytics = await ask("ALPHA", "proposal", ANALYTICS, Proposal);
    const k8s = await ask("ALPHA", "proposal", K8S, Proposal);
    const names = (p: Proposal) => p.components.map((c) => c.name);
    expect(names(analytics)).toEqual(
      expect.arrayContaining(["Event ingestion", "Stream processing", "Analytical storage"]),
    );
    expect(names(k8s)).toEqual(
      expect.arrayContaining(["Container platform", "Decomposition strategy", "Data migration"]),
    );
    expect(names(k8s)).not.toContain("Event ingestion");
    expect(analytics.title).toContain("distributed event-driven analytics platform");
    expect(k8s.title).toContain("migrate a monolith to Kubernetes");

    const analysis = await ask("ALPHA", "analysis", ANALYTICS, Analysis);
    expect(analysis.findings.map((f) => f.topic)).toEqual(
      expect.arrayContaining(["distributed", "event-driven", "Delivery semantics"]),
    );
  });

  it("falls back to components named from the objective's own words", async () => {
    const p = await ask(
      "BETA",
      "proposal",
      "Build a volunteer rota tool for a garden club",
      Proposal,
    );
    expect(p.components.map((c) => c.name)).toContain("Rota tool service");
    expect(p.components[0]?.responsibility).toMatch(/rota tool/);
  });

  it("flags an objective outside software and infrastructure, and proposes no technology for it", async () => {
    for (const objective of [
      "Plan a community garden volunteer schedule",
      "Write a wedding speech",
      "Plan a bake sale",
    ]) {
      expect(offlineCoverage(objective)).toMatchObject({ covered: false });
      expect(offlineCoverage(objective).reason).toMatch(/software and infrastructure/);
      const p = await ask("ALPHA", "proposal", objective, Proposal);
      expect(JSON.stringify(p)).not.toMatch(/TypeScript|PostgreSQL|Kotlin|Temporal|REST|GraphQL/);
      const a = await ask("ALPHA", "analysis", objective, Analysis);
      expect(a.findings[0]).toMatchObject({ topic: "Scope" });
      expect(a.findings[0]?.detail).toMatch(/placeholder/);
    }
    for (const objective of [ANALYTICS, K8S, "Build a volunteer rota tool for a garden club"])
      expect(offlineCoverage(objective)).toMatchObject({ covered: true });
  });

  it("has ALPHA and BETA agree when the objective settles the trade-off (scale, or low cost)", async () => {
    for (const objective of [ANALYTICS, "Build a low-cost web app for a small team"]) {
      const { alpha, beta, alphaOnBeta, betaOnAlpha } = await firstRound(objective);
      expect(
        alphaOnBeta.concerns.filter((c) => c.severity === "high"),
        objective,
      ).toEqual([]);
      expect(
        betaOnAlpha.concerns.filter((c) => c.severity === "high"),
        objective,
      ).toEqual([]);
      expect((await ask("ALPHA", "vote", objective, Vote, { proposal: beta })).vote).toBe(
        "approve",
      );
      expect((await ask("BETA", "vote", objective, Vote, { proposal: alpha })).vote).toBe(
        "approve",
      );
    }
  });

  it("gives output that validates against the schema of every kind, for every role", async () => {
    const { alpha, beta, alphaOnBeta, betaOnAlpha } = await firstRound(K8S);
    const contexts: Record<ModelTaskKind, Record<string, unknown>> = {
      plan: {},
      analysis: {},
      proposal: {},
      critique: { proposal: alpha },
      vote: { proposal: beta },
      synthesis: { proposals: [alpha, beta], critiques: [alphaOnBeta, betaOnAlpha] },
    };
    for (const role of ["ALPHA", "BETA", "GAMMA"] as const) {
      for (const kind of Object.keys(contexts) as ModelTaskKind[]) {
        // Asked with a schema that accepts anything, so the test, not the model, does the checking.
        const out = await ask(role, kind, K8S, z.unknown(), contexts[kind]);
        const parsed = outputSchemas[kind].safeParse(out);
        expect(parsed.success, `${role} ${kind}: ${parsed.error?.message}`).toBe(true);
      }
    }
  });

  it("makes ALPHA and BETA reject each other's first proposal when the objective leaves the trade-off open", async () => {
    for (const objective of [TENSE, K8S, "Build a secure ML inference API"]) {
      const { alpha, beta, alphaOnBeta, betaOnAlpha } = await firstRound(objective);
      expect(alphaOnBeta.target_title).toBe(beta.title);
      expect(alphaOnBeta.concerns.some((c) => c.severity === "high")).toBe(true);
      expect(betaOnAlpha.concerns.some((c) => c.severity === "high")).toBe(true);

      const vote = (role: AgentRole, proposal: Proposal) =>
        ask(role, "vote", objective, Vote, { proposal });
      expect(await vote("ALPHA", beta)).toMatchObject({
        proposal_title: beta.title,
        vote: "reject",
      });
      expect(await vote("BETA", alpha)).toMatchObject({
        proposal_title: alpha.title,
        vote: "reject",
      });
      expect((await vote("ALPHA", alpha)).vote).toBe("approve");
      expect((await vote("BETA", beta)).vote).toBe("approve");
    }
  });

  it("has GAMMA settle every conflict the critiques raise, and both agents approve the synthesis", async () => {
    const { alpha, beta, alphaOnBeta, betaOnAlpha } = await firstRound(TENSE);
    const synthesis = await ask("GAMMA", "synthesis", TENSE, Synthesis, {
      proposals: [alpha, beta],
      critiques: [alphaOnBeta, betaOnAlpha],
    });
    const settled = synthesis.resolved_conflicts.map((r) => r.topic);
    for (const c of [...alphaOnBeta.concerns, ...betaOnAlpha.concerns]) {
      expect(settled).toContain(c.topic);
    }
    const merged = synthesis.components.map((c) => c.name);
    for (const c of [...alpha.components, ...beta.components]) expect(merged).toContain(c.name);
    // The objective asks for a distributed system, so the core path takes the scale-first option.
    expect(synthesis.components.find((c) => c.name === "Event ingestion")?.technology).toBe(
      alpha.components.find((c) => c.name === "Event ingestion")?.technology,
    );

    for (const role of ["ALPHA", "BETA", "GAMMA"] as const) {
      const v = await ask(role, "vote", TENSE, Vote, { proposal: synthesis, synthesis: true });
      expect(v, role).toMatchObject({ proposal_title: synthesis.title, vote: "approve" });
    }
  });

  it("rejects a synthesis that leaves one of the voter's high-severity concerns unsettled", async () => {
    const { alpha, beta, alphaOnBeta } = await firstRound(TENSE);
    const synthesis = await ask("GAMMA", "synthesis", TENSE, Synthesis, {
      proposals: [alpha, beta],
    });
    const high = alphaOnBeta.concerns.find((c) => c.severity === "high")!;
    // Pretend GAMMA sided with BETA on that topic without saying why.
    const silent = {
      ...synthesis,
      components: synthesis.components.map((c) =>
        c.name === high.topic ? beta.components.find((b) => b.name === high.topic)! : c,
      ),
      resolved_conflicts: synthesis.resolved_conflicts.filter((r) => r.topic !== high.topic),
    };
    const v = await ask("ALPHA", "vote", TENSE, Vote, { proposal: silent, synthesis: true });
    expect(v.vote).toBe("reject");
    expect(v.reason).toContain(high.topic);
  });

  it("names the missing context as the caller's error, and a schema it cannot fit as malformed", async () => {
    const missing = ask("ALPHA", "critique", K8S, Critique, {});
    await expect(missing).rejects.toBeInstanceOf(ModelError);
    await expect(missing).rejects.toMatchObject({ kind: "client_error", attempts: 1 });
    await expect(missing).rejects.toThrow(/context\.proposal/);

    const wrong = ask("ALPHA", "plan", K8S, Vote);
    await expect(wrong).rejects.toMatchObject({ kind: "malformed_output" });
  });

  it("stops at once when the request is already aborted", async () => {
    const controller = new AbortController();
    controller.abort(new Error("run cancelled"));
    const req: ModelRequest = {
      role: "ALPHA",
      kind: "plan",
      objective: K8S,
      context: {},
      signal: controller.signal,
    };
    await expect(model.generate(req, outputSchemas.plan)).rejects.toThrow("run cancelled");
  });
});
