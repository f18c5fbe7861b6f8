// `when:` conditions: parsing (with errors that say what is accepted) and evaluation over earlier
// stages' outcomes and artifacts.
import { describe, expect, it } from "vitest";
import { evaluateWhen, parseWhen, stagesOf, WhenError } from "../../src/pipeline/when.js";

const stages = {
  plan: { status: "succeeded", artifacts: ["plan", "terraform-plan"] },
  lint: { status: "failed", artifacts: [] },
  review: { status: "approved", artifacts: [] },
  gate2: { status: "timed_out", artifacts: [] },
  docs: { status: "skipped", artifacts: [] },
};
const holds = (text: string) => evaluateWhen(parseWhen(text), stages);

describe("when conditions", () => {
  it("reads outcomes, with an approved gate counting as succeeded", () => {
    expect(holds("plan.succeeded")).toBe(true);
    expect(holds("lint.succeeded")).toBe(false);
    expect(holds("lint.failed")).toBe(true);
    expect(holds("review.succeeded")).toBe(true);
    expect(holds("review.approved")).toBe(true);
    expect(holds("gate2.failed")).toBe(true);
    expect(holds("docs.skipped")).toBe(true);
    expect(holds("plan.outcome == succeeded")).toBe(true);
    expect(holds("plan.outcome != succeeded")).toBe(false);
  });

  it("reads artifacts", () => {
    expect(holds("plan.artifacts contains terraform-plan")).toBe(true);
    expect(holds("plan.artifacts contains ansible-check")).toBe(false);
    expect(holds("lint.artifacts contains terraform-plan")).toBe(false);
  });

  it("combines with not, and, or and parentheses (and binds tighter than or)", () => {
    expect(holds("plan.succeeded and not lint.failed")).toBe(false);
    expect(holds("plan.succeeded and (lint.failed or docs.succeeded)")).toBe(true);
    expect(holds("lint.succeeded and docs.succeeded or plan.succeeded")).toBe(true);
    expect(holds("lint.succeeded and (docs.succeeded or plan.succeeded)")).toBe(false);
    expect(holds("not not plan.succeeded")).toBe(true);
  });

  it("lists the stages a condition reads, once each", () => {
    expect(stagesOf(parseWhen("a.failed or (b.succeeded and a.artifacts contains x)"))).toEqual([
      "a",
      "b",
    ]);
  });

  it("says what is wrong with a malformed condition", () => {
    const error = (text: string) => {
      try {
        parseWhen(text);
      } catch (err) {
        expect(err).toBeInstanceOf(WhenError);
        return (err as Error).message;
      }
      throw new Error(`"${text}" parsed`);
    };
    expect(error("plan")).toMatch(/expected <stage>\.<outcome>/);
    expect(error("plan.done")).toMatch(/unknown attribute "done"/);
    expect(error("plan.outcome failed")).toMatch(/must be followed by == or !=/);
    expect(error("plan.outcome = failed")).toBe('unexpected "=" at column 14');
    expect(error("plan.outcome == maybe")).toMatch(/"maybe" is not an outcome/);
    expect(error("plan.artifacts has x")).toMatch(/must be followed by contains/);
    expect(error("(plan.failed")).toMatch(/missing "\)"/);
    expect(error("plan.failed lint.failed")).toMatch(/unexpected "lint\.failed"/);
    expect(error("plan.failed and")).toMatch(/ends too early/);
    expect(error("plan.failed && lint.failed")).toMatch(/unexpected "&"/);
  });
});
