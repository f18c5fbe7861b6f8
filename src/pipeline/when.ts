// `when:` conditions: a small boolean language over earlier stages' outcomes and artifacts, e.g.
// `plan.succeeded and not lint.failed`, `build.outcome != skipped`, `plan.artifacts contains tf-plan`.
export const OUTCOMES = ["succeeded", "failed", "skipped", "approved", "rejected"] as const;
export type Outcome = (typeof OUTCOMES)[number];

export type Condition =
  | { op: "and" | "or"; left: Condition; right: Condition }
  | { op: "not"; arg: Condition }
  | { op: "outcome"; stage: string; outcome: Outcome }
  | { op: "artifact"; stage: string; name: string };

export class WhenError extends Error {
  override name = "WhenError";
}

const TOKEN = /\s*(\(|\)|==|!=|[A-Za-z0-9_][A-Za-z0-9_.:/-]*)/y;

function tokenize(text: string): string[] {
  const tokens: string[] = [];
  TOKEN.lastIndex = 0;
  let at = 0;
  while (at < text.length) {
    if (/^\s*$/.test(text.slice(at))) break;
    TOKEN.lastIndex = at;
    const m = TOKEN.exec(text);
    if (!m) {
      const col = at + (text.slice(at).length - text.slice(at).trimStart().length) + 1;
      throw new WhenError(`unexpected "${text[col - 1]}" at column ${col}`);
    }
    tokens.push(m[1]!);
    at = TOKEN.lastIndex;
  }
  return tokens;
}

/** Parses a condition; throws WhenError saying what is wrong and what is accepted. */
export function parseWhen(text: string): Condition {
  const tokens = tokenize(text);
  let i = 0;
  const peek = () => tokens[i];
  const next = () => tokens[i++];

  function or(): Condition {
    let left = and();
    while (peek() === "or") {
      next();
      left = { op: "or", left, right: and() };
    }
    return left;
  }
  function and(): Condition {
    let left = unary();
    while (peek() === "and") {
      next();
      left = { op: "and", left, right: unary() };
    }
    return left;
  }
  function unary(): Condition {
    const t = next();
    if (t === undefined) throw new WhenError("ends too early: expected a condition");
    if (t === "not") return { op: "not", arg: unary() };
    if (t === "(") {
      const inner = or();
      if (next() !== ")") throw new WhenError('missing ")"');
      return inner;
    }
    return atom(t);
  }
  function atom(word: string): Condition {
    const dot = word.indexOf(".");
    if (dot <= 0)
      throw new WhenError(
        `"${word}": expected <stage>.<outcome> (${OUTCOMES.join(", ")}), <stage>.outcome == <outcome> or <stage>.artifacts contains <name>`,
      );
    const stage = word.slice(0, dot);
    const attr = word.slice(dot + 1);
    if ((OUTCOMES as readonly string[]).includes(attr))
      return { op: "outcome", stage, outcome: attr as Outcome };
    if (attr === "outcome") {
      const cmp = next();
      const value = next();
      if (cmp !== "==" && cmp !== "!=")
        throw new WhenError(`"${word}" must be followed by == or !=`);
      if (!value || !(OUTCOMES as readonly string[]).includes(value))
        throw new WhenError(`"${value ?? ""}" is not an outcome (${OUTCOMES.join(", ")})`);
      const cond: Condition = { op: "outcome", stage, outcome: value as Outcome };
      return cmp === "==" ? cond : { op: "not", arg: cond };
    }
    if (attr === "artifacts") {
      if (next() !== "contains") throw new WhenError(`"${word}" must be followed by contains`);
      const name = next();
      if (!name || ["and", "or", "not", "(", ")"].includes(name))
        throw new WhenError(`"${word} contains" needs an artifact name`);
      return { op: "artifact", stage, name };
    }
    throw new WhenError(
      `"${word}": unknown attribute "${attr}" (use ${OUTCOMES.join(", ")}, outcome or artifacts)`,
    );
  }

  const cond = or();
  if (i < tokens.length) throw new WhenError(`unexpected "${tokens[i]}"`);
  return cond;
}

/** The stages a condition reads (they must run before the stage that has it). */
export function stagesOf(cond: Condition): string[] {
  switch (cond.op) {
    case "and":
    case "or":
      return [...new Set([...stagesOf(cond.left), ...stagesOf(cond.right)])];
    case "not":
      return stagesOf(cond.arg);
    default:
      return [cond.stage];
  }
}

export interface StageView {
  status: string;
  artifacts: readonly string[];
}

export function evaluateWhen(cond: Condition, stages: Record<string, StageView>): boolean {
  switch (cond.op) {
    case "and":
      return evaluateWhen(cond.left, stages) && evaluateWhen(cond.right, stages);
    case "or":
      return evaluateWhen(cond.left, stages) || evaluateWhen(cond.right, stages);
    case "not":
      return !evaluateWhen(cond.arg, stages);
    case "artifact":
      return stages[cond.stage]?.artifacts.includes(cond.name) ?? false;
    case "outcome": {
      const status = stages[cond.stage]?.status;
      // An approved gate has succeeded; a gate that timed out has failed.
      if (cond.outcome === "succeeded") return status === "succeeded" || status === "approved";
      if (cond.outcome === "failed") return status === "failed" || status === "timed_out";
      return status === cond.outcome;
    }
  }
}
