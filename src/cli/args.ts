// Argument parsing for every command: strict (unknown flags are errors), one line per problem.
import { type ParseArgsConfig, parseArgs } from "node:util";

export class UsageError extends Error {
  override name = "UsageError";
}

export type Options = NonNullable<ParseArgsConfig["options"]>;

export function parse<O extends Options>(argv: string[], options: O, command: string) {
  try {
    return parseArgs({
      args: argv,
      options: { ...options, help: { type: "boolean", short: "h" } },
      strict: true,
      allowPositionals: true,
    });
  } catch (err) {
    const msg = (err as Error).message
      .replace(/\. To specify a positional argument.*$/s, "")
      .replace(/^Unknown option '(.+)'$/, "unknown option $1");
    throw new UsageError(`${command}: ${msg}; see 'agov ${command} --help'`);
  }
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
