// Argument parsing for every command: strict (unknown flags are errors), one line per problem.

import { type ParseArgsConfig, parseArgs } from "node:util";
import { AGENT_ID, AGENT_ID_RULE } from "../authority/index.js";

export class UsageError extends Error {
  override name = "UsageError";
}

export type Options = NonNullable<ParseArgsConfig["options"]>;

/** What a command's handler receives: its options, typed from its declaration, and positionals. */
export type Parsed<O extends Options> = ReturnType<
  typeof parseArgs<{ args: string[]; options: O; strict: true; allowPositionals: true }>
>;

/** How many positionals a command takes, and the one line to say when it got a wrong number. */
export interface Positionals {
  min: number;
  max: number;
  wrong: string;
}

export function parse<O extends Options>(
  argv: string[],
  options: O,
  command: string,
  positionals: Positionals = { min: 0, max: 0, wrong: "" },
): Parsed<O> {
  let parsed: Parsed<O>;
  try {
    parsed = parseArgs({ args: argv, options, strict: true, allowPositionals: true });
  } catch (err) {
    const msg = (err as Error).message
      .replace(/\. To specify a positional argument.*$/s, "")
      .replace(/^Unknown option '(.+)'$/, "unknown option $1");
    throw new UsageError(`${command}: ${msg}; see 'agov ${command} --help'`);
  }
  const given = parsed.positionals;
  if (positionals.max === 0 && given.length > 0)
    throw new UsageError(
      `${command}: unexpected argument "${given[0]}"; see 'agov ${command} --help'`,
    );
  if (given.length < positionals.min || given.length > positionals.max || given.includes(""))
    throw new UsageError(`${command}: ${positionals.wrong}`);
  return parsed;
}

/** --help or -h anywhere before `--` (after it, they are an argument like any other). */
export function asksHelp(argv: string[]): boolean {
  for (const arg of argv) {
    if (arg === "--") return false;
    if (arg === "--help" || arg === "-h") return true;
  }
  return false;
}

export function intOption(
  value: string | undefined,
  name: string,
  command: string,
  min: number,
  max: number,
): number | undefined {
  if (value === undefined) return undefined;
  if (!/^-?\d+$/.test(value) || Number(value) < min || Number(value) > max) {
    throw new UsageError(
      `${command}: --${name} must be a whole number from ${min} to ${max}, got "${value}"`,
    );
  }
  return Number(value);
}

export function required(value: string | undefined, name: string, command: string): string {
  if (value === undefined || value === "")
    throw new UsageError(`${command}: --${name} is required; see 'agov ${command} --help'`);
  return value;
}

/** --agent, required and held to the one agent-id rule the tools and the authority use. */
export function agentOption(value: string | undefined, command: string): string {
  const agent = required(value, "agent", command);
  if (!AGENT_ID.test(agent))
    throw new UsageError(`${command}: --agent must be ${AGENT_ID_RULE} (got "${agent}")`);
  return agent;
}
