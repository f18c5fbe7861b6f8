// What a command is to the dispatcher: its usage, and how to parse its arguments and load its
// handler. Declaring the options beside the handler's loader types the handler's arguments, and
// keeps the handler's module (and everything it imports) unloaded until the command runs.
import { type Options, type Parsed, type Positionals, parse } from "./args.js";
import type { CliContext } from "./context.js";

export type Handler<O extends Options> = (args: Parsed<O>, ctx: CliContext) => Promise<number>;

export interface CommandSpec<O extends Options> {
  /** The usage block: the synopsis line(s), indented two spaces, then what the command does. */
  usage: string;
  options: O;
  /** None when absent: a stray argument is a usage error, not silently ignored. */
  positionals?: Positionals;
  load: () => Promise<Handler<O>>;
}

export interface Command {
  usage: string;
  /** Checks the arguments (usage errors are thrown here, before any config is read) and returns
   * the run, which loads the handler. */
  prepare(argv: string[], path: string): (ctx: CliContext) => Promise<number>;
}

/** A top-level command, or a family of subcommands (agov token issue|revoke|list). */
export type Entry = { summary: string } & (
  | { command: Command }
  | { subcommands: Record<string, Command>; note?: string }
);

export function command<O extends Options>(spec: CommandSpec<O>): Command {
  return {
    usage: spec.usage,
    prepare(argv, path) {
      const args = parse(argv, spec.options, path, spec.positionals);
      return async (ctx) => (await spec.load())(args, ctx);
    },
  };
}

/** The help of a command, of a family (every subcommand's usage), or of one subcommand. */
export function helpOf(entry: Entry, sub?: Command): string {
  if ("command" in entry) return `Usage:\n${entry.command.usage}`;
  const usages = sub ? [sub.usage] : Object.values(entry.subcommands).map((c) => c.usage);
  return `Usage:\n${usages.join("\n")}${entry.note ? `\n\n${entry.note}` : ""}`;
}

/** `agov --help`: one line per command, from the table. */
export function overview(table: Record<string, Entry>): string {
  const width = Math.max(...Object.keys(table).map((n) => n.length)) + 3;
  const lines = Object.entries(table).map(([name, e]) => `  ${name.padEnd(width)}${e.summary}`);
  return `agov — a governance gateway for AI agents (an MCP server).

Usage: agov <command> [options]

Commands:
${lines.join("\n")}

Run 'agov <command> --help' (or 'agov help <command>') for a command's options.
Configuration: agov.config.yaml in the current folder, then environment variables
(AGOV_HOME, AGOV_STATE, REDIS_URL, AGOV_AUTHORITY, VAULT_ADDR, AGOV_TOKEN, ...); see docs/configuration.md.`;
}
