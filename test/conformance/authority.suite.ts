// The Authority contract. Every adapter runs this same suite (see authority.test.ts): the local
// one, Vault through the HTTP double, and a real Vault when VAULT_ADDR and VAULT_TOKEN are set.
import { afterEach, beforeEach, describe, expect, it } from "vitest";
import type { Authority } from "../../src/authority/index.js";
import { commandPath } from "../../src/authority/policy.js";
import type { Clock } from "../../src/util/clock.js";

export interface AuthorityHarness {
  authority: Authority;
  clock: Clock;
  /** Moves time on (a manual clock, or real waiting against a real Vault). */
  advance(ms: number): Promise<void>;
  /** A name unique to this run: a real Vault keeps what earlier runs left. */
  unique(name: string): string;
  /**
   * What promotion does to a live token: the local authority changes its tier in place; Vault
   * cannot change a live token's policies, so it revokes it (the agent logs in again).
   */
  promotion: "in-place" | "revokes";
  cleanup(): Promise<void>;
}

export function authorityConformance(name: string, make: () => Promise<AuthorityHarness>): void {
  describe(`Authority conformance: ${name}`, () => {
    let h: AuthorityHarness;
    let auth: Authority;
    beforeEach(async () => {
      h = await make();
      auth = h.authority;
    });
    afterEach(async () => {
      await h.authority.close();
      await h.cleanup();
    });

    it("resolves an issued token to its agent and tier, and lists it by id, never by itself", async () => {
      const alpha = h.unique("alpha");
      const t = await auth.issue({ agent_id: alpha, tier: 1 });
      expect(t.token_id).not.toBe(t.token);
      const caller = await auth.resolve(t.token);
      expect(caller).toMatchObject({ agent_id: alpha, tier: 1, token_id: t.token_id });
      expect(caller.policies).toContain("t1-operator");
      const listed = (await auth.list()).filter((x) => x.agent_id === alpha);
      expect(listed).toEqual([expect.objectContaining({ token_id: t.token_id, tier: 1 })]);
      expect(JSON.stringify(await auth.list())).not.toContain(t.token);
    });

    it("gives each tier the seed's TTL unless one is asked for", async () => {
      const before = h.clock.now();
      const t0 = await auth.issue({ agent_id: h.unique("o"), tier: 0 });
      const t3 = await auth.issue({ agent_id: h.unique("e"), tier: 3 });
      const custom = await auth.issue({ agent_id: h.unique("c"), tier: 2, ttl_ms: 120_000 });
      const after = h.clock.now();
      const ttl = (t: { expires_at: number }) => [t.expires_at - after, t.expires_at - before];
      for (const [t, want] of [
        [t0, 3_600_000],
        [t3, 900_000],
        [custom, 120_000],
      ] as const) {
        const [low, high] = ttl(t);
        expect(low).toBeLessThanOrEqual(want);
        expect(high).toBeGreaterThanOrEqual(want - 1000);
      }
    });

    it("grants exactly the tools of the caller's tier", async () => {
      const tools = ["whoami", "lock_acquire", "no_such_tool"];
      const t0 = await auth.issue({ agent_id: h.unique("obs"), tier: 0 });
      const t1 = await auth.issue({ agent_id: h.unique("op"), tier: 1 });
      const g0 = await auth.grants(t0.token, await auth.resolve(t0.token), tools);
      const g1 = await auth.grants(t1.token, await auth.resolve(t1.token), tools);
      expect([...g0]).toEqual(["whoami"]);
      expect([...g1].sort()).toEqual(["lock_acquire", "whoami"]);
    });

    it("grants each tier exactly the commands its policy names, and no path escapes", async () => {
      const paths = {
        test: commandPath(["npm", "test"]),
        apply: commandPath(["terraform", "apply", "-auto-approve"]),
        node: commandPath(["node", "-e", "1"]),
        sneaky: commandPath(["npm", "test", "../../../tools/agent_revoke"]),
        dots: commandPath(["..", "..", "tools", "agent_revoke"]),
      };
      const all = Object.values(paths);
      expect([...(await auth.tierGrants(1, all))]).toEqual([]);
      expect([...(await auth.tierGrants(2, all))].sort()).toEqual(
        [paths.test, paths.sneaky].sort(),
      );
      expect(await auth.tierGrants(3, all)).toEqual(
        new Set([paths.test, paths.sneaky, paths.apply]),
      );
      expect(await auth.tierGrants(4, all)).toEqual(new Set(all));
      expect(paths.sneaky).toBe(
        "governance/commands/npm/test/%2E%2E%2F%2E%2E%2F%2E%2E%2Ftools%2Fagent_revoke",
      );
      expect(paths.dots).toBe("governance/commands/%2E%2E/%2E%2E/tools/agent_revoke");
    });

    it("refuses a token it never issued as UNAUTHENTICATED", async () => {
      await expect(auth.resolve("agov_not-a-token")).rejects.toMatchObject({
        code: "UNAUTHENTICATED",
      });
    });

    it("revokes every live token of one agent, and the next resolve says it was revoked", async () => {
      const alpha = h.unique("alpha");
      const beta = h.unique("beta");
      const a = await auth.issue({ agent_id: alpha, tier: 1 });
      const b = await auth.issue({ agent_id: alpha, tier: 2 });
      const other = await auth.issue({ agent_id: beta, tier: 1 });
      for (const t of [a, b, other]) await auth.resolve(t.token);
      expect(await auth.revokeAgent(alpha)).toBe(2);
      for (const t of [a, b])
        await expect(auth.resolve(t.token)).rejects.toMatchObject({
          code: "REVOKED",
          message: expect.stringMatching(/revoked/),
          details: { agent_id: alpha },
        });
      await expect(auth.resolve(other.token)).resolves.toMatchObject({ agent_id: beta });
      expect(await auth.revokeAgent(alpha)).toBe(0);
    });

    it("refuses a token past its TTL with a message saying it expired", async () => {
      const alpha = h.unique("alpha");
      const t = await auth.issue({ agent_id: alpha, tier: 4, ttl_ms: 2000 });
      await expect(auth.resolve(t.token)).resolves.toMatchObject({ agent_id: alpha });
      await h.advance(2000);
      await expect(auth.resolve(t.token)).rejects.toMatchObject({
        code: "EXPIRED",
        message: expect.stringMatching(/expired/),
        details: { agent_id: alpha, tier: 4 },
      });
    });

    it("names an agent's tier by its highest live token, and none for an agent without one", async () => {
      const alpha = h.unique("alpha");
      const beta = h.unique("beta");
      const gone = h.unique("gone");
      expect(await auth.tierOf(h.unique("nobody"))).toBeNull();
      await auth.issue({ agent_id: alpha, tier: 1 });
      await auth.issue({ agent_id: alpha, tier: 3 });
      expect(await auth.tierOf(alpha)).toBe(3);
      await auth.issue({ agent_id: beta, tier: 4, ttl_ms: 2000 });
      await auth.issue({ agent_id: beta, tier: 0 });
      expect(await auth.tierOf(beta)).toBe(4);
      await h.advance(2000);
      expect(await auth.tierOf(beta)).toBe(0);
      await auth.issue({ agent_id: gone, tier: 2 });
      await auth.revokeAgent(gone);
      expect(await auth.tierOf(gone)).toBeNull();
    });

    it("refuses a TTL outside 1 s … 366 d before issuing anything", async () => {
      const alpha = h.unique("alpha");
      for (const ttl_ms of [0, 999, 366 * 86_400_000 + 1, Number.POSITIVE_INFINITY])
        await expect(auth.issue({ agent_id: alpha, tier: 1, ttl_ms })).rejects.toMatchObject({
          code: "INVALID_INPUT",
        });
      expect((await auth.list()).filter((t) => t.agent_id === alpha)).toEqual([]);
    });

    it("stops an agent's old token from acting at its old tier once it is promoted", async () => {
      const alpha = h.unique("alpha");
      const t = await auth.issue({ agent_id: alpha, tier: 0 });
      await auth.resolve(t.token);
      await auth.setTier(alpha, 1);
      if (h.promotion === "in-place") {
        const caller = await auth.resolve(t.token);
        expect(caller.tier).toBe(1);
        expect([...(await auth.grants(t.token, caller, ["lock_acquire"]))]).toEqual([
          "lock_acquire",
        ]);
      } else {
        await expect(auth.resolve(t.token)).rejects.toMatchObject({ code: "REVOKED" });
      }
    });
  });
}
