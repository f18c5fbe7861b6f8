import { mkdtempSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { describe, expect, it } from "vitest";
import { createLocalAuthority } from "../../src/authority/local.js";
import { manualClock, randomIds } from "../../src/util/clock.js";
import { bundledPolicies } from "../../src/util/paths.js";

function setup() {
  const clock = manualClock();
  const home = mkdtempSync(join(tmpdir(), "agov-auth-"));
  return {
    clock,
    authority: createLocalAuthority({
      home,
      policyDirs: [bundledPolicies()],
      clock,
      ids: randomIds,
    }),
    home,
  };
}

describe("local authority", () => {
  it("sees another process's revocation and promotion on the very next resolve", async () => {
    const { authority, home, clock } = setup();
    const other = createLocalAuthority({
      home,
      policyDirs: [bundledPolicies()],
      clock,
      ids: randomIds,
    });
    const t = await authority.issue({ agent_id: "alpha", tier: 1 });
    // Resolved (and kept) here, then changed by the other connection to authority.db.
    expect(await authority.resolve(t.token)).toMatchObject({ tier: 1 });
    await other.setTier("alpha", 2);
    expect(await authority.resolve(t.token)).toMatchObject({ tier: 2 });
    await other.revokeAgent("alpha");
    await expect(authority.resolve(t.token)).rejects.toMatchObject({ code: "REVOKED" });
    // And its own writes, between two resolves of a token it has seen.
    const u = await authority.issue({ agent_id: "beta", tier: 1 });
    expect(await authority.resolve(u.token)).toMatchObject({ agent_id: "beta" });
    await authority.revokeAgent("beta");
    await expect(authority.resolve(u.token)).rejects.toMatchObject({ code: "REVOKED" });
    // A token it has seen still expires on time.
    const v = await authority.issue({ agent_id: "gamma", tier: 1, ttl_ms: 60_000 });
    expect(await authority.resolve(v.token)).toMatchObject({ agent_id: "gamma" });
    clock.advance(60_000);
    await expect(authority.resolve(v.token)).rejects.toMatchObject({ code: "EXPIRED" });
    await other.close();
    await authority.close();
  });

  it("stores tokens only as hashes and lists them without the token", async () => {
    const { authority } = setup();
    const t = await authority.issue({ agent_id: "alpha", tier: 1 });
    expect(t.token).toMatch(/^agov_/);
    const listed = await authority.list();
    expect(listed).toHaveLength(1);
    expect(JSON.stringify(listed)).not.toContain(t.token);
    expect(await authority.resolve(t.token)).toMatchObject({
      agent_id: "alpha",
      tier: 1,
      policies: ["t1-operator"],
    });
  });

  it("applies the seed's TTL per tier and refuses an expired token, saying so", async () => {
    const { authority, clock } = setup();
    const t0 = await authority.issue({ agent_id: "o", tier: 0 });
    const t3 = await authority.issue({ agent_id: "e", tier: 3 });
    expect(t0.expires_at - clock.now()).toBe(3_600_000);
    expect(t3.expires_at - clock.now()).toBe(900_000);
    clock.advance(900_000);
    await expect(authority.resolve(t3.token)).rejects.toMatchObject({
      code: "EXPIRED",
      message: expect.stringMatching(/expired/),
    });
    await expect(authority.resolve(t0.token)).resolves.toMatchObject({ agent_id: "o" });
  });

  it("honours a per-token TTL", async () => {
    const { authority, clock } = setup();
    const t = await authority.issue({ agent_id: "a", tier: 4, ttl_ms: 5000 });
    clock.advance(4999);
    await expect(authority.resolve(t.token)).resolves.toBeDefined();
    clock.advance(1);
    await expect(authority.resolve(t.token)).rejects.toMatchObject({ code: "EXPIRED" });
  });

  it("revokes every live token of an agent at once", async () => {
    const { authority } = setup();
    const a = await authority.issue({ agent_id: "alpha", tier: 1 });
    const b = await authority.issue({ agent_id: "alpha", tier: 2 });
    const other = await authority.issue({ agent_id: "beta", tier: 1 });
    expect(await authority.revokeAgent("alpha")).toBe(2);
    await expect(authority.resolve(a.token)).rejects.toMatchObject({
      code: "REVOKED",
      message: expect.stringMatching(/revoked/),
    });
    await expect(authority.resolve(b.token)).rejects.toMatchObject({ code: "REVOKED" });
    await expect(authority.resolve(other.token)).resolves.toMatchObject({ agent_id: "beta" });
    await expect(authority.resolve("agov_nope")).rejects.toMatchObject({ code: "UNAUTHENTICATED" });
  });

  it("grants tools by the tier policies and changes them with the tier", async () => {
    const { authority } = setup();
    const t = await authority.issue({ agent_id: "alpha", tier: 0 });
    const tools = ["whoami", "lock_acquire", "no_such_tool"];
    let caller = await authority.resolve(t.token);
    expect([...(await authority.grants(t.token, caller, tools))]).toEqual(["whoami"]);
    await authority.setTier("alpha", 1);
    caller = await authority.resolve(t.token);
    expect([...(await authority.grants(t.token, caller, tools))].sort()).toEqual([
      "lock_acquire",
      "whoami",
    ]);
  });
});
