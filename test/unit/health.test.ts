// The circuit breaker and the health manager on an injected clock: open after repeated outages,
// refuse at once naming the dependency and the retry time, probe half-open, close; every change of
// a dependency's state logged once.
import { describe, expect, it } from "vitest";
import { createBreaker, isOutage } from "../../src/health/breaker.js";
import { createHealth } from "../../src/health/index.js";
import { manualClock } from "../../src/util/clock.js";
import { AgovError } from "../../src/util/errors.js";

const down = () => new AgovError("UNAVAILABLE", "state store (redis) unavailable: not connected");
const fails = (err: unknown) => async () => {
  throw err;
};
const ok = async () => "fine";
const settle = (p: Promise<unknown>) =>
  p.then(
    () => "ok",
    (e: unknown) => e,
  );

function memoryLog() {
  const lines: Array<{ level: string; msg: string; obj: Record<string, unknown> }> = [];
  const at = (level: string) => (obj: object, msg: string) =>
    lines.push({ level, msg, obj: obj as Record<string, unknown> });
  return { lines, log: { info: at("info"), warn: at("warn") } };
}

describe("circuit breaker", () => {
  it("opens after the configured run of outages and then refuses at once with the dependency and retry time", async () => {
    const clock = manualClock(Date.parse("2026-01-01T00:00:00Z"));
    const b = createBreaker({
      name: "state",
      label: "state store (redis at 127.0.0.1:6399)",
      clock,
      failureThreshold: 3,
      coolDownMs: 5000,
    });
    for (let i = 0; i < 2; i++) await settle(b.run(fails(down())));
    expect(b.snapshot()).toMatchObject({ state: "closed", failures: 2 });
    await settle(b.run(fails(down())));
    expect(b.snapshot()).toMatchObject({ state: "open", failures: 3 });

    let called = false;
    const refused = await settle(
      b.run(async () => {
        called = true;
      }),
    );
    expect(called).toBe(false);
    expect(refused).toMatchObject({
      code: "UNAVAILABLE",
      reason: "DEPENDENCY_DOWN",
      retryable: true,
      details: { dependency: "state", retry_at: Date.parse("2026-01-01T00:00:05Z") },
    });
    expect((refused as Error).message).toMatch(
      /^state store \(redis at 127\.0\.0\.1:6399\) is down .*agov tries it again at 2026-01-01T00:00:05\.000Z \(in 5 s\)/,
    );
  });

  it("lets one probe through after the cool-down: a failure reopens it for longer, a success closes it", async () => {
    const clock = manualClock();
    const b = createBreaker({
      name: "state",
      label: "s",
      clock,
      failureThreshold: 1,
      coolDownMs: 1000,
    });
    await settle(b.run(fails(down())));
    clock.advance(1000);
    expect(b.due()).toBe(true);
    // The probe is in flight: everyone else is still refused.
    let release!: () => void;
    const probe = b.run(() =>
      new Promise<void>((r) => (release = r)).then(() => {
        throw down();
      }),
    );
    expect(b.snapshot().state).toBe("half_open");
    expect(await settle(b.run(ok))).toMatchObject({ reason: "DEPENDENCY_DOWN" });
    release();
    await settle(probe);
    // Reopened, and the cool-down doubled.
    expect(b.snapshot()).toMatchObject({ state: "open", retry_at: clock.now() + 2000 });
    clock.advance(2000);
    expect(await b.run(ok)).toBe("fine");
    expect(b.snapshot()).toEqual(expect.objectContaining({ state: "closed", failures: 0 }));
  });

  it("counts only a dependency's failures, not an agent's bad input, a DENIED or a CONFLICT", async () => {
    const clock = manualClock();
    const b = createBreaker({ name: "state", label: "s", clock, failureThreshold: 1 });
    for (const code of ["INVALID_INPUT", "DENIED", "CONFLICT", "NOT_FOUND"] as const)
      await settle(b.run(fails(new AgovError(code, "no"))));
    expect(b.snapshot()).toMatchObject({ state: "closed", failures: 0 });
    expect(isOutage(Object.assign(new Error("connect"), { code: "ECONNREFUSED" }))).toBe(true);
    expect(isOutage(new AgovError("UNAVAILABLE", "x", { reason: "DEPENDENCY_DOWN" }))).toBe(false);
    expect(isOutage(new Error("TypeError in a handler"))).toBe(false);
  });
});

describe("health manager", () => {
  it("logs a dependency going down once and coming back once, with how long it was away", async () => {
    const clock = manualClock(Date.parse("2026-01-01T00:00:00Z"));
    const { lines, log } = memoryLog();
    const health = createHealth({ clock, log });
    const b = health.add({
      name: "state",
      kind: "redis",
      target: "127.0.0.1:6399",
      label: "state store (redis at 127.0.0.1:6399)",
      critical: true,
      breaker: { failureThreshold: 2, coolDownMs: 1000 },
    });
    expect(health.status()).toBe("ok");
    for (let i = 0; i < 6; i++) {
      await settle(b.run(fails(down())));
      clock.advance(100);
    }
    expect(health.status()).toBe("down");
    expect(health.report().dependencies[0]).toMatchObject({
      name: "state",
      status: "down",
      breaker: "open",
      target: "127.0.0.1:6399",
      last_error: "state store (redis) unavailable: not connected",
    });
    clock.advance(5000);
    await b.run(ok);
    await b.run(ok);
    expect(health.status()).toBe("ok");
    expect(lines.map((l) => [l.level, l.msg.replace(/ until .*$/, "")])).toEqual([
      [
        "warn",
        "state store (redis at 127.0.0.1:6399) is failing: state store (redis) unavailable: not connected",
      ],
      [
        "warn",
        "state store (redis at 127.0.0.1:6399) is down: state store (redis) unavailable: not connected; calls to it are refused at once",
      ],
      ["info", "state store (redis at 127.0.0.1:6399) is back after 5.6 s"],
    ]);
    expect(lines[1]!.obj).toMatchObject({ dependency: "state", target: "127.0.0.1:6399" });
  });

  it("probes on the clock's interval, notices an outage without any call, and closes the breaker by a probe", async () => {
    const clock = manualClock();
    const { lines, log } = memoryLog();
    const health = createHealth({ clock, log, probeIntervalMs: 1000 });
    let up = true;
    let probes = 0;
    health.add({
      name: "authority",
      kind: "vault",
      label: "authority (vault at http://127.0.0.1:8200)",
      critical: true,
      probe: async () => {
        probes++;
        if (!up) throw down();
      },
      breaker: { failureThreshold: 2, coolDownMs: 3000 },
    });
    health.start();
    const tick = async (ms: number) => {
      clock.advance(ms);
      // Let the probe loop run what the clock released (no timers involved).
      for (let i = 0; i < 3; i++) await new Promise((r) => setImmediate(r));
    };
    await tick(1000);
    expect(probes).toBe(1);
    up = false;
    await tick(1000);
    await tick(1000);
    expect(health.status()).toBe("down");
    // Open: calls wait out the cool-down, but the light probe goes on at its interval...
    await tick(1000);
    await tick(1000);
    expect(probes).toBe(5);
    expect(health.status()).toBe("down");
    // ...so agov is back within one probe interval of its dependency, however long it was away.
    up = true;
    await tick(1000);
    expect(probes).toBe(6);
    expect(health.status()).toBe("ok");
    expect(lines.filter((l) => l.msg.includes("is back"))).toHaveLength(1);
    health.close();
  });

  it("counts a probe that never answers as a failure after the probe timeout", async () => {
    const clock = manualClock();
    const health = createHealth({ clock, probeTimeoutMs: 500 });
    health.add({
      name: "state",
      kind: "redis",
      label: "state store (redis)",
      critical: true,
      probe: () => new Promise(() => {}),
    });
    const probing = health.probe();
    clock.advance(500);
    await probing;
    expect(health.report().dependencies[0]).toMatchObject({
      status: "degraded",
      last_error: "state store (redis) gave no answer to a probe within 500 ms",
    });
    expect(health.status()).toBe("degraded");
  });

  it("is degraded, not down, when only the model endpoint is down", async () => {
    const clock = manualClock();
    const health = createHealth({ clock });
    health.add({ name: "state", kind: "sqlite", label: "state store (sqlite)", critical: true });
    const model = health.add({
      name: "model",
      kind: "openai-compatible",
      label: "model endpoint",
      critical: false,
      breaker: { failureThreshold: 1 },
    });
    model.failed(down());
    expect(health.status()).toBe("degraded");
  });
});
