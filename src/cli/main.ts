// The `agov` command line: parses the command, loads the config once, runs, returns the exit code.
// Every failure is one line on stderr; stdout carries only results (and protocol, for serve).
import { ConfigError, loadConfig } from "../config/index.js";
import { AgovError } from "../util/errors.js";
import { packageVersion } from "../util/paths.js";
import { AGENT_HELP, agentCommand } from "./agent.js";
import { UsageError } from "./args.js";
import { AUDIT_HELP, auditCommand } from "./audit.js";
import { createCliContext } from "./context.js";
import { PIPELINE_HELP, pipelineCommand } from "./pipeline.js";
import { POLICIES_HELP, policiesCommand } from "./policies.js";
import { RUN_HELP, runCommand } from "./run.js";
import { SERVE_HELP, serveCommand } from "./serve.js";
import { TOKEN_HELP, tokenCommand } from "./token.js";

const HELP = `agov — a governance gateway for AI agents (an MCP server).

Usage: agov <command> [options]

Commands:
  run        Run the bundled agents (ALPHA, BETA, GAMMA) on an objective, governed
  serve      Serve the governed tools over MCP (stdio, or --http <port>)
  pipeline   Validate, run, resume and approve pipelines (YAML stages, human gates)
  token      Issue, revoke and list agent tokens
  audit      Query the audit ledger and verify its hash chain
  policies   Write the tier policies into Vault and enable AppRole (policies apply)
  agent      Create an agent's Vault AppRole role at a tier (agent create)

Run 'agov <command> --help' for a command's options.
Configuration: agov.config.yaml in the current folder, then environment variables
(AGOV_HOME, AGOV_STATE, REDIS_URL, AGOV_AUTHORITY, VAULT_ADDR, AGOV_TOKEN, ...); see docs/configuration.md.`;

type Command = (argv: string[], ctx: ReturnType<typeof createCliContext>) => Promise<number>;
const COMMANDS: Record<string, { run: Command; help: string }> = {
  run: { run: runCommand, help: RUN_HELP },
  serve: { run: serveCommand, help: SERVE_HELP },
  pipeline: { run: pipelineCommand, help: PIPELINE_HELP },
  token: { run: tokenCommand, help: TOKEN_HELP },
  audit: { run: auditCommand, help: AUDIT_HELP },
  policies: { run: policiesCommand, help: POLICIES_HELP },
  agent: { run: agentCommand, help: AGENT_HELP },
};

export async function main(
  argv: string[],
  env: Record<string, string | undefined> = process.env,
  cwd = process.cwd(),
): Promise<number> {
  const out = (t: string) => process.stdout.write(`${t}\n`);
  const err = (t: string) => process.stderr.write(`${t}\n`);
  const [name, ...rest] = argv;
  if (!name || name === "--help" || name === "-h" || name === "help") {
    out(HELP);
    return name ? 0 : 2;
  }
  if (name === "--version" || name === "-v") {
    out(packageVersion());
    return 0;
  }
  const command = COMMANDS[name];
  if (!command) {
    err(
      name.startsWith("-")
        ? `agov: unknown option ${name}; see 'agov --help'`
        : `agov: unknown command "${name}"; see 'agov --help'`,
    );
    return 2;
  }
  if (rest[0] === "--help" || rest[0] === "-h") {
    out(command.help);
    return 0;
  }
  let ctx: ReturnType<typeof createCliContext> | undefined;
  try {
    const config = loadConfig({ env, cwd });
    ctx = createCliContext(config, { out, err });
    return await command.run(rest, ctx);
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
