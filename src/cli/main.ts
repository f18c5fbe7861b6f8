// The `agov` command line: finds the command in the table, answers help and usage errors before
// anything is read or created, then loads the config once, runs the command, returns the exit code.
// Every failure is one line on stderr; stdout carries only results (and protocol, for serve).
import { ConfigError, loadConfig } from "../config/index.js";
import { AgovError } from "../util/errors.js";
import { packageVersion } from "../util/paths.js";
import { asksHelp, UsageError } from "./args.js";
import { type Command, type Entry, helpOf, overview } from "./command.js";
import { COMMANDS } from "./commands.js";
import type { CliContext } from "./context.js";

/** What the words on the command line name: a command, a family, or one of its subcommands. */
interface Found {
  entry: Entry;
  sub?: Command;
  path: string;
  rest: string[];
}

function find(table: Record<string, Entry>, [name = "", ...rest]: string[]): Found {
  const entry = Object.hasOwn(table, name) ? table[name] : undefined;
  if (!entry)
    throw new UsageError(
      name.startsWith("-")
        ? `unknown option ${name}; see 'agov --help'`
        : `unknown command "${name}"; see 'agov --help'`,
    );
  const [word, ...more] = rest;
  if ("command" in entry || word === undefined || word === "--help" || word === "-h")
    return { entry, path: name, rest };
  const sub = Object.hasOwn(entry.subcommands, word) ? entry.subcommands[word] : undefined;
  if (!sub) throw new UsageError(`${name}: unknown command "${word}"; see 'agov ${name} --help'`);
  return { entry, sub, path: `${name} ${word}`, rest: more };
}

type Step = { print: string; code: number } | { start: (ctx: CliContext) => Promise<number> };

/** Everything decided from the words alone: help, version, usage errors, or the command to run. */
export function route(argv: string[], table: Record<string, Entry> = COMMANDS): Step {
  const [first, ...rest] = argv;
  if (first === undefined) return { print: overview(table), code: 2 };
  if (first === "--help" || first === "-h") return { print: overview(table), code: 0 };
  if (first === "--version" || first === "-v") return { print: packageVersion(), code: 0 };
  if (first === "help") {
    const words = rest.filter((w) => w !== "--help" && w !== "-h");
    if (words.length === 0) return { print: overview(table), code: 0 };
    const found = find(table, words);
    const [extra] = found.rest;
    if (extra !== undefined)
      throw new UsageError(
        `${found.path}: unknown command "${extra}"; see 'agov help ${found.path}'`,
      );
    return { print: helpOf(found.entry, found.sub), code: 0 };
  }
  const { entry, sub, path, rest: args } = find(table, argv);
  const command = sub ?? ("command" in entry ? entry.command : undefined);
  // A family without its subcommand: its usage, as a usage error unless help was asked for.
  if (!command) return { print: helpOf(entry), code: args.length === 0 ? 2 : 0 };
  if (asksHelp(args)) return { print: helpOf(entry, sub), code: 0 };
  return { start: command.prepare(args, path) };
}

export async function main(
  argv: string[],
  env: Record<string, string | undefined> = process.env,
  cwd = process.cwd(),
): Promise<number> {
  const out = (t: string) => process.stdout.write(`${t}\n`);
  const err = (t: string) => process.stderr.write(`${t}\n`);
  let ctx: CliContext | undefined;
  try {
    const step = route(argv);
    if ("print" in step) {
      out(step.print);
      return step.code;
    }
    const config = loadConfig({ env, cwd });
    // The context (and the runtime it builds) is loaded only when a command runs.
    const { createCliContext } = await import("./context.js");
    ctx = createCliContext(config, { out, err });
    return await step.start(ctx);
  } catch (e) {
    if (e instanceof ConfigError || e instanceof UsageError) {
      err(`agov: ${e.message}`);
      return 2;
    }
    if (e instanceof AgovError) {
      err(`agov: ${e.code}: ${e.message}`);
      return 1;
    }
    err(`agov: ${(e as Error).message ?? String(e)}`);
    return 1;
  } finally {
    await ctx?.close().catch(() => {});
  }
}
