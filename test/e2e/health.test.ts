// Health as its users meet it through the real binary: /healthz (one word for anyone, the report
// for a token), the health tool at T0, outages on the server's stderr, and agov doctor.
import { afterEach, describe, expect, it } from "vitest";
import {
  agov,
  httpClient,
  httpServer,
  issueToken,
  stdioClient,
  tempHome,
} from "../support/agov.js";
import { type RedisServer, redisAvailable, startRedis } from "../support/redis-server.js";

async function until<T>(what: string, fn: () => Promise<T | undefined>, ms = 15_000): Promise<T> {
  const deadline = Date.now() + ms;
  for (;;) {
    const v = await fn().catch(() => undefined);
    if (v !== undefined) return v;
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}`);
    await new Promise((r) => setTimeout(r, 50));
  }
}

const cleanups: Array<() => Promise<void>> = [];
afterEach(async () => {
  for (const c of cleanups.splice(0).reverse()) await c().catch(() => {});
});

describe("/healthz and the health tool", () => {
  it("gives anyone one word, and a token holder the report per dependency", async () => {
    const home = tempHome();
    const server = await httpServer(home);
    cleanups.push(() => server.stop());
    const url = server.url.replace(/\/mcp$/, "/healthz");
    const open = await fetch(url);
    expect(open.status).toBe(200);
    expect(await open.text()).toBe("ok\n");

    const token = await issueToken(home, "watcher", 0);
    const detail = await fetch(url, { headers: { authorization: `Bearer ${token}` } });
    expect(detail.status).toBe(200);
    const report = (await detail.json()) as { status: string; dependencies: unknown[] };
    expect(report.status).toBe("ok");
    expect(report.dependencies).toEqual([
      expect.objectContaining({ name: "ledger", kind: "sqlite", status: "up", breaker: "closed" }),
      expect.objectContaining({ name: "state", kind: "sqlite", status: "up" }),
      expect.objectContaining({ name: "authority", kind: "local", status: "up" }),
    ]);
    expect(report).toMatchObject({ sessions: 0, attached: 0 });

    const forged = await fetch(url, { headers: { authorization: "Bearer agov_forged" } });
    expect(forged.status).toBe(401);
    expect(await forged.text()).not.toMatch(/dependencies/);
  });

  it("lists the health tool to a T0 caller and answers it with the report", async () => {
    const home = tempHome();
    const t0 = await stdioClient(home, await issueToken(home, "observer", 0));
    cleanups.push(() => t0.close());
    const names = (await t0.client.listTools()).tools.map((t) => t.name);
    expect(names).toContain("health");
    const r = await t0.client.callTool({ name: "health", arguments: {} });
    expect(r.isError).toBeFalsy();
    expect(r.structuredContent).toMatchObject({
      status: "ok",
      dependencies: expect.arrayContaining([
        expect.objectContaining({ name: "state", status: "up" }),
      ]),
    });
  });
});

describe.runIf(redisAvailable())("a Redis outage under agov serve", () => {
  it("answers down (503) and logs the outage once on stderr, then ok and its return once", async () => {
    const redis: RedisServer = await startRedis();
    cleanups.push(() => redis.stop());
    const home = tempHome();
    const server = await httpServer(home, {
      AGOV_STATE: "redis",
      REDIS_URL: redis.url,
      AGOV_LOG_LEVEL: "info", // the default; the test helpers turn it down to warn
    });
    cleanups.push(() => server.stop());
    const c = await httpClient(server.url, await issueToken(home, "alpha", 1));
    cleanups.push(() => c.close());
    const healthz = server.url.replace(/\/mcp$/, "/healthz");
    const where = `state store (redis at 127.0.0.1:${redis.port})`;
    const count = (text: string) => server.stderr().split(text).length - 1;

    await redis.kill();
    for (let i = 0; i < 3; i++)
      await c.client.callTool({ name: "lock_status", arguments: { resource: "db" } });
    const down = await fetch(healthz);
    expect(down.status).toBe(503);
    expect(await down.text()).toBe("down\n");
    // stderr travels through a pipe: what the server wrote may arrive a moment after the answer.
    await until("the outage on stderr", async () =>
      count(`${where} is down`) > 0 ? true : undefined,
    );

    await redis.restart();
    // The breaker's probe (every 5 s) finds Redis back without any call.
    await until("/healthz to say ok", async () => {
      const r = await fetch(healthz);
      return (await r.text()) === "ok\n" ? true : undefined;
    });
    await until("the return on stderr", async () =>
      count(`${where} is back after`) > 0 ? true : undefined,
    );
    expect(count(`${where} is back after`)).toBe(1);
    expect(count(`${where} is down`)).toBe(1);
    expect(count(`${where} is failing`)).toBe(1);
    // Restarted without persistence: the loss of its data is said too.
    await until("the data loss warning", async () =>
      count("lost its data") === 1 ? true : undefined,
    );
  });
});

describe("agov doctor", () => {
  it("says everything is in order on a fresh home, and exits 0", async () => {
    const home = tempHome();
    const r = await agov(["doctor"], { AGOV_HOME: `${home}/fresh` });
    expect(r.code, r.stderr).toBe(0);
    expect(r.stdout).toMatch(/^CHECK\s+STATUS\s+DETAIL/);
    expect(r.stdout).toMatch(/^config\s+ok\s+state sqlite, ledger sqlite, authority local/m);
    expect(r.stdout).toMatch(/^home\s+ok\s+.*fresh does not exist yet/m);
    expect(r.stdout).toMatch(/Everything agov needs is in order\./);
    const json = await agov(["doctor", "--json"], { AGOV_HOME: home });
    expect(json.code).toBe(0);
    const parsed = JSON.parse(json.stdout) as { ok: boolean; checks: Array<{ status: string }> };
    expect(parsed.ok).toBe(true);
    expect(parsed.checks.every((c) => c.status !== "fail")).toBe(true);
  });

  it.runIf(redisAvailable())(
    "exits 1 naming the address when Redis is configured but down",
    async () => {
      const redis = await startRedis();
      await redis.stop();
      const env = { AGOV_HOME: tempHome(), AGOV_STATE: "redis", REDIS_URL: redis.url };
      const r = await agov(["doctor"], env);
      expect(r.code).toBe(1);
      expect(r.stdout).toMatch(
        new RegExp(`^redis\\s+fail\\s+Redis at 127\\.0\\.0\\.1:${redis.port} does not answer`, "m"),
      );
      expect(r.stdout).toMatch(new RegExp(`redis: start Redis at 127\\.0\\.0\\.1:${redis.port}`));
      const json = JSON.parse((await agov(["doctor", "--json"], env)).stdout) as {
        ok: boolean;
        checks: Array<{ check: string; status: string }>;
      };
      expect(json.ok).toBe(false);
      expect(json.checks).toContainEqual(
        expect.objectContaining({ check: "redis", status: "fail" }),
      );
    },
  );
});
