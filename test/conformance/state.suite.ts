// The StateStore contract. Every adapter runs this same suite (see state.test.ts).
import { afterEach, beforeEach, describe, expect, it } from "vitest";
import type { AgovEvent, StateStore } from "../../src/state/index.js";
import { manualClock } from "../../src/util/clock.js";

export type StateFactory = (clock: ReturnType<typeof manualClock>) => Promise<{
  store: StateStore;
  /** A second handle on the same state, as another process would have. */
  other: () => Promise<StateStore>;
  cleanup: () => Promise<void>;
}>;

export function stateConformance(name: string, factory: StateFactory): void {
  describe(`StateStore conformance: ${name}`, () => {
    let clock: ReturnType<typeof manualClock>;
    let store: StateStore;
    let other: () => Promise<StateStore>;
    let cleanup: () => Promise<void>;
    const extra: StateStore[] = [];

    beforeEach(async () => {
      clock = manualClock();
      ({ store, other, cleanup } = await factory(clock));
    });
    afterEach(async () => {
      for (const s of extra.splice(0)) await s.close();
      await cleanup();
    });

    it("gives a lock to one holder and names it", async () => {
      const a = await store.locks.acquire("db", "alpha", 1000);
      const b = await store.locks.acquire("db", "beta", 1000);
      expect(a.acquired).toBe(true);
      expect(b).toMatchObject({ acquired: false, holder: "alpha" });
      expect(await store.locks.status("db")).toMatchObject({ holder: "alpha" });
    });

    it("hands an expired lock on with a larger fencing token", async () => {
      const a = await store.locks.acquire("db", "alpha", 1000);
      clock.advance(1001);
      expect(await store.locks.status("db")).toBeNull();
      const b = await store.locks.acquire("db", "beta", 1000);
      if (!a.acquired || !b.acquired) throw new Error("expected both to acquire");
      expect(b.fence).toBeGreaterThan(a.fence);
      await expect(store.locks.release("db", a.lease_id)).rejects.toMatchObject({
        code: "CONFLICT",
      });
      await expect(store.locks.refresh("db", a.lease_id, 1000)).rejects.toMatchObject({
        code: "CONFLICT",
      });
    });

    it("keeps fencing tokens growing across release and re-acquire", async () => {
      const fences: number[] = [];
      for (let i = 0; i < 5; i++) {
        const l = await store.locks.acquire("r", `agent-${i}`, 1000);
        if (!l.acquired) throw new Error("expected acquire");
        fences.push(l.fence);
        await store.locks.release("r", l.lease_id);
      }
      expect(fences).toEqual([...fences].sort((x, y) => x - y));
      expect(new Set(fences).size).toBe(5);
    });

    it("refreshes a live lease and refuses a foreign one", async () => {
      const a = await store.locks.acquire("db", "alpha", 1000);
      if (!a.acquired) throw new Error("expected acquire");
      clock.advance(900);
      const r = await store.locks.refresh("db", a.lease_id, 1000);
      expect(r.expires_at).toBe(clock.now() + 1000);
      clock.advance(900);
      expect(await store.locks.status("db")).toMatchObject({ holder: "alpha" });
      await expect(store.locks.release("db", "not-a-lease")).rejects.toMatchObject({
        code: "CONFLICT",
      });
      await store.locks.release("db", a.lease_id);
      expect(await store.locks.status("db")).toBeNull();
    });

    it("releases every lock of a holder", async () => {
      await store.locks.acquire("a", "alpha", 1000);
      await store.locks.acquire("b", "alpha", 1000);
      await store.locks.acquire("c", "beta", 1000);
      expect((await store.locks.releaseAll("alpha")).sort()).toEqual(["a", "b"]);
      expect(await store.locks.status("a")).toBeNull();
      expect(await store.locks.status("c")).toMatchObject({ holder: "beta" });
    });

    it("versions blackboard entries and refuses a stale writer", async () => {
      const e1 = await store.blackboard.post({
        task_id: "t",
        section: "solutions",
        key: "p1",
        value: { v: 1 },
        author: "alpha",
        expected_version: 0,
      });
      expect(e1.version).toBe(1);
      await expect(
        store.blackboard.post({
          task_id: "t",
          section: "solutions",
          key: "p1",
          value: { v: 2 },
          author: "beta",
          expected_version: 0,
        }),
      ).rejects.toMatchObject({ code: "CONFLICT", details: { current_version: 1 } });
      const e2 = await store.blackboard.post({
        task_id: "t",
        section: "solutions",
        key: "p1",
        value: { v: 2 },
        author: "beta",
        expected_version: 1,
      });
      expect(e2.version).toBe(2);
      await store.blackboard.post({
        task_id: "t",
        section: "problem",
        key: "objective",
        value: "x",
        author: "alpha",
        expected_version: 0,
      });
      const all = await store.blackboard.read("t");
      expect(all.map((e) => `${e.section}/${e.key}@${e.version}`).sort()).toEqual([
        "problem/objective@1",
        "solutions/p1@2",
      ]);
      expect((await store.blackboard.read("t", "solutions"))[0]).toMatchObject({
        value: { v: 2 },
        author: "beta",
      });
      expect(await store.blackboard.read("other")).toEqual([]);
    });

    it("delivers direct messages and broadcasts in order, resumable after an id", async () => {
      const m1 = await store.messages.send({
        task_id: "t",
        from: "alpha",
        to: "beta",
        type: "PROPOSAL",
        body: { n: 1 },
      });
      await store.messages.send({
        task_id: "t",
        from: "gamma",
        to: "ALL",
        type: "HANDOFF",
        body: { n: 2 },
      });
      await store.messages.send({
        task_id: "t",
        from: "beta",
        to: "alpha",
        type: "FEEDBACK",
        body: { n: 3 },
      });
      const beta = await store.messages.read("t", "beta");
      expect(beta.map((m) => (m.body as { n: number }).n)).toEqual([1, 2]);
      expect((await store.messages.read("t", "beta", m1.id)).map((m) => m.type)).toEqual([
        "HANDOFF",
      ]);
      const gamma = await store.messages.read("t", "gamma");
      expect(gamma).toEqual([]);
      expect(await store.messages.read("other", "beta")).toEqual([]);
    });

    it("tracks heartbeats with a TTL", async () => {
      await store.agents.heartbeat("alpha", 30_000);
      expect(await store.agents.lastHeartbeat("alpha")).toBe(clock.now());
      clock.advance(30_001);
      expect(await store.agents.lastHeartbeat("alpha")).toBeNull();
      expect(await store.agents.lastHeartbeat("nobody")).toBeNull();
    });

    it("stores agent state, packets, handoffs and artifacts", async () => {
      await store.agents.setState("alpha", { phase: "PLAN" });
      await store.agents.putPacket("alpha", { objective: "o" });
      await store.tasks.putHandoff("t", { previous_agent_id: "alpha" });
      await store.tasks.setActiveAgent("t", "alpha");
      await store.tasks.addArtifact("t", "plan");
      await store.tasks.addArtifact("t", "report");
      expect(await store.agents.getState("alpha")).toEqual({ phase: "PLAN" });
      expect(await store.agents.getPacket("alpha")).toEqual({ objective: "o" });
      expect(await store.agents.getPacket("beta")).toBeNull();
      expect(await store.tasks.getHandoff("t")).toEqual({ previous_agent_id: "alpha" });
      expect(await store.tasks.getActiveAgent("t")).toBe("alpha");
      expect(await store.tasks.artifacts("t")).toEqual(["plan", "report"]);
    });

    it("appends agent notes without losing concurrent ones, keeping the newest", async () => {
      await Promise.all(
        Array.from({ length: 20 }, (_, i) => store.agents.note("alpha", `n${i}`, 50)),
      );
      const all = await store.agents.notes("alpha");
      expect([...all].sort()).toEqual(Array.from({ length: 20 }, (_, i) => `n${i}`).sort());
      for (let i = 0; i < 5; i++) await store.agents.note("beta", `b${i}`, 3);
      expect(await store.agents.notes("beta")).toEqual(["b2", "b3", "b4"]);
      await store.agents.clearNotes("alpha");
      expect(await store.agents.notes("alpha")).toEqual([]);
      expect(await store.agents.notes("beta")).toHaveLength(3);
    });

    it("counts errors by type and procedure violations", async () => {
      await store.errors.record("alpha", "TIMEOUT");
      await store.errors.record("alpha", "TIMEOUT");
      const c = await store.errors.record("alpha", "PHASE_SKIP", true);
      expect(c).toEqual({
        total_errors: 3,
        procedure_violations: 1,
        by_type: { TIMEOUT: 2, PHASE_SKIP: 1 },
      });
      expect(await store.errors.get("beta")).toEqual({
        total_errors: 0,
        procedure_violations: 0,
        by_type: {},
      });
      await store.errors.reset("alpha");
      expect((await store.errors.get("alpha")).total_errors).toBe(0);
    });

    it("counts error types named like Object.prototype's members as any other", async () => {
      const types = ["constructor", "toString", "valueOf", "hasOwnProperty", "__proto__"];
      for (const t of types) await store.errors.record("alpha", t);
      const c = await store.errors.record("alpha", "constructor");
      expect(c.total_errors).toBe(6);
      expect(c.by_type.constructor).toBe(2);
      expect(Object.hasOwn(c.by_type, "__proto__")).toBe(true);
      expect({ ...(await store.errors.get("alpha")).by_type }).toEqual(
        Object.fromEntries([...types.map((t) => [t, 1]), ["constructor", 2]]),
      );
      expect(await store.errors.get("beta")).toMatchObject({ total_errors: 0 });
      expect((await store.errors.get("beta")).by_type.constructor).toBeUndefined();
    });

    it("lists revocations newest first and saves checkpoints", async () => {
      await store.revocations.append({
        agent_id: "a",
        task_id: null,
        reason_type: "X",
        details: "d",
        at: 1,
      });
      await store.revocations.append({
        agent_id: "b",
        task_id: "t",
        reason_type: "Y",
        details: "d",
        at: 2,
      });
      expect((await store.revocations.recent(10)).map((r) => r.agent_id)).toEqual(["b", "a"]);
    });

    it("keeps each agent's session checkpoints in its own scope", async () => {
      expect(await store.sessions.load("a", "k")).toBeNull();
      await store.sessions.save("a", "k", { stage: 2 });
      expect(await store.sessions.load("a", "k")).toMatchObject({ data: { stage: 2 } });
      expect(await store.sessions.load("b", "k")).toBeNull();
    });

    it("keeps artifact records, plan marks and task exits, typed on read", async () => {
      expect(await store.artifacts.get("t", "plan")).toBeNull();
      await store.artifacts.put("t", "plan", { kind: "plan", content: { s: 1 }, author: "a" });
      expect(await store.artifacts.get("t", "plan")).toEqual({
        kind: "plan",
        content: { s: 1 },
        author: "a",
      });
      expect(await store.plans.get("a", "run-1")).toBeNull();
      await store.plans.mark("a", "run-1", "plan");
      expect(await store.plans.get("a", "run-1")).toBe("plan");
      expect(await store.plans.get("a", "run-2")).toBeNull();
      await store.exits.mark("t", "a", { run_id: "run-1", started_at: 1, at: 2 });
      expect(await store.exits.get("t", "a")).toEqual({ run_id: "run-1", started_at: 1, at: 2 });
      expect(await store.exits.get("t", "b")).toBeNull();
    });

    it("refuses a stored record that is not in the shape agov writes", async () => {
      // A value written past the types (as a foreign writer would) is refused on read.
      await expect(
        store.pipelineRuns
          .putDecision("r", "gate", { decision: "maybe" } as never)
          .then(() => store.pipelineRuns.decision("r", "gate")),
      ).rejects.toMatchObject({ code: "INTERNAL" });
    });

    it("keeps one roster line per agent, none lost to a concurrent writer", async () => {
      expect(await store.roster.read("t")).toEqual({});
      await Promise.all(
        ["a", "b", "c", "d"].map((agent, i) =>
          store.roster.set("t", agent, { phase: "PLAN", step: `s${i}`, at: i }),
        ),
      );
      await store.roster.set("t", "a", { phase: "EXECUTE", step: "go", at: 9 });
      const roster = await store.roster.read("t");
      expect(Object.keys(roster).sort()).toEqual(["a", "b", "c", "d"]);
      expect(roster.a).toEqual({ phase: "EXECUTE", step: "go", at: 9 });
      expect(await store.roster.read("other")).toEqual({});
    });

    it("lists pipeline runs newest first, with their gate decisions and stage claims", async () => {
      for (const [i, id] of ["r1", "r2", "r3"].entries()) {
        await store.pipelineRuns.index({ run_id: id, pipeline: "p", created_at: i });
        await store.pipelineRuns.put(id, { run_id: id, seq: i });
        clock.advance(1);
      }
      expect((await store.pipelineRuns.list(10)).map((r) => r.run_id)).toEqual(["r3", "r2", "r1"]);
      expect((await store.pipelineRuns.list(2)).map((r) => r.run_id)).toEqual(["r3", "r2"]);
      expect(await store.pipelineRuns.get("r2")).toEqual({ run_id: "r2", seq: 1 });
      expect(await store.pipelineRuns.get("nope")).toBeNull();
      const d = { decision: "approve" as const, by: "op", reason: "", at: 5 };
      await store.pipelineRuns.putDecision("r1", "review", d);
      expect(await store.pipelineRuns.decision("r1", "review")).toEqual(d);
      await store.pipelineRuns.putDecision("r1", "review", null);
      expect(await store.pipelineRuns.decision("r1", "review")).toBeNull();
      await store.pipelineRuns.putClaim("r1", "s", { agent_id: "a", at: 3 });
      expect(await store.pipelineRuns.claim("r1", "s")).toEqual({ agent_id: "a", at: 3 });
      expect(await store.pipelineRuns.claim("r1", "t")).toBeNull();
    });

    it("keeps findings per target by fingerprint, newest change first, checked on read", async () => {
      const base = {
        scope: "/repo",
        kind: "test" as const,
        severity: "high" as const,
        source: "npm test",
        tool: "node:test",
        title: "adds fails",
        message: "2 == 3",
        file: "test/a.test.js",
        test: "adds",
        rule: null,
        status: "open" as const,
        first_seen: 1,
        last_seen: 1,
        occurrences: 1,
        count: 1,
        evidence: ["row-1"],
        resolved_at: null,
        run_id: "r1",
      };
      await store.findings.put({ ...base, fingerprint: "f1" });
      clock.advance(1);
      await store.findings.put({ ...base, fingerprint: "f2", kind: "lint", rule: "no-unused" });
      clock.advance(1);
      await store.findings.put({ ...base, scope: "/other", fingerprint: "f3" });
      expect((await store.findings.list("/repo")).map((f) => f.fingerprint)).toEqual(["f2", "f1"]);
      clock.advance(1);
      await store.findings.put({ ...base, fingerprint: "f1", status: "resolved", resolved_at: 9 });
      expect((await store.findings.list("/repo")).map((f) => f.fingerprint)).toEqual(["f1", "f2"]);
      expect(await store.findings.get("/repo", "f1")).toMatchObject({
        status: "resolved",
        resolved_at: 9,
      });
      expect(await store.findings.get("/repo", "f3")).toBeNull();
      expect((await store.findings.list("/other")).map((f) => f.fingerprint)).toEqual(["f3"]);
      // A finding in another shape is refused on write, not stored half-right.
      await expect(
        store.findings.put({ ...base, fingerprint: "f4", severity: "fatal" } as never),
      ).rejects.toThrow();
      expect(await store.findings.get("/repo", "f4")).toBeNull();
    });

    it("shares state and events with another handle on the same store", async () => {
      const second = await other();
      extra.push(second);
      await store.locks.acquire("db", "alpha", 1000);
      expect(await second.locks.status("db")).toMatchObject({ holder: "alpha" });
      const seen: AgovEvent[] = [];
      const gotIt = new Promise<void>((resolve) => {
        second.events.subscribe((e) => {
          seen.push(e);
          resolve();
        });
      });
      // Subscriptions may take a moment to be live (e.g. Redis SUBSCRIBE); publish until seen.
      const deadline = Date.now() + 5000;
      let published = 0;
      while (seen.length === 0 && Date.now() < deadline) {
        await store.events.publish({ type: "revoked", agent_id: "alpha" });
        published++;
        await Promise.race([gotIt, new Promise((r) => setTimeout(r, 50))]);
      }
      expect(seen[0]).toEqual({ type: "revoked", agent_id: "alpha" });
      expect(published).toBeGreaterThan(0);
    });

    const running = (digest: string) => ({
      digest,
      status: "running" as const,
      started_at: clock.now(),
    });

    it("claims an idempotency key once and hands later callers the first call's record", async () => {
      expect(await store.idempotency.claim("alpha", "k1", running("d1"), 60_000)).toEqual({
        first: true,
      });
      const again = await store.idempotency.claim("alpha", "k1", running("d1"), 60_000);
      expect(again).toMatchObject({ first: false, record: { digest: "d1", status: "running" } });
      await store.idempotency.settle(
        "alpha",
        "k1",
        { digest: "d1", status: "done", started_at: clock.now(), result: { ok: 1 } },
        60_000,
      );
      const fromOther = await (async () => {
        const s = await other();
        extra.push(s);
        return s.idempotency.claim("alpha", "k1", running("d2"), 60_000);
      })();
      expect(fromOther).toMatchObject({
        first: false,
        record: { digest: "d1", status: "done", result: { ok: 1 } },
      });
      // Keys are per agent, and expire by the clock.
      expect(await store.idempotency.claim("beta", "k1", running("d1"), 60_000)).toEqual({
        first: true,
      });
      clock.advance(60_001);
      expect(await store.idempotency.claim("alpha", "k1", running("d3"), 60_000)).toEqual({
        first: true,
      });
    });

    it("lets exactly one of many concurrent claims of a key be first", async () => {
      const handles = [store, ...(await Promise.all([other(), other()]))];
      extra.push(...handles.slice(1));
      const claims = await Promise.all(
        Array.from({ length: 12 }, (_, i) =>
          handles[i % handles.length]!.idempotency.claim("alpha", "race", running("d"), 60_000),
        ),
      );
      expect(claims.filter((c) => c.first)).toHaveLength(1);
    });
  });
}
