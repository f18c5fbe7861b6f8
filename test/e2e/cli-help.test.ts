// Help and version as a newcomer asks for them, with the real binary: every command's usage is
// printed, and nothing is created under AGOV_HOME, before any command runs.
import { existsSync, readFileSync } from "node:fs";
import { join } from "node:path";
import { describe, expect, it } from "vitest";
import { COMMANDS as TABLE } from "../../src/cli/commands.js";
import { route } from "../../src/cli/main.js";
import { agov, issueToken, ROOT, stdioClient, tempHome } from "../support/agov.js";

/** The commands agov documents; the table may hold more (each is tested below), never fewer. */
const DOCUMENTED = [
  "run",
  "serve",
  "pipeline validate",
  "pipeline run",
  "pipeline resume",
  "pipeline status",
  "pipeline approve",
  "token issue",
  "token revoke",
  "token list",
  "audit query",
  "audit verify",
  "audit anchor",
  "audit export",
  "policies apply",
  "agent create",
  "ledger migrate",
  "chaos",
];

/** Every command, family and subcommand of the table, as the words that name it. */
const NAMED: string[][] = Object.entries(TABLE).flatMap(([name, e]) =>
  "command" in e ? [[name]] : [[name], ...Object.keys(e.subcommands).map((sub) => [name, sub])],
);

/** A home that does not exist yet: anything a command creates there shows. */
const freshHome = () => join(tempHome(), "h");

describe("agov help", () => {
  it("has every documented command in its table", () => {
    expect(NAMED.map((w) => w.join(" "))).toEqual(expect.arrayContaining(DOCUMENTED));
  });

  it.each(NAMED.map((words) => [words.join(" "), words] as const))(
    "prints the usage of %s for --help and -h, creating nothing",
    async (_, words) => {
      const home = freshHome();
      const r = await agov([...words, "--help"], { AGOV_HOME: home });
      expect(r.code, `${words.join(" ")} --help: ${r.stderr}`).toBe(0);
      expect(r.stdout).toMatch(/^Usage:\n/);
      expect(r.stdout).toContain(`agov ${words.join(" ")}`);
      // A subcommand's help is its own, not its whole family's.
      for (const other of NAMED.filter((w) => w.length === 2 && w[0] === words[0]))
        if (words.length === 2 && other[1] !== words[1])
          expect(r.stdout).not.toContain(`agov ${other.join(" ")} `);
      expect(r.stderr).toBe("");
      expect(existsSync(home), `${words.join(" ")} --help created ${home}`).toBe(false);
      // -h is routed exactly as --help is, before anything runs (the binary's path was shown above).
      const short = route([...words, "-h"]);
      expect(short).toEqual({ print: r.stdout.replace(/\n$/, ""), code: 0 });
    },
  );

  it("takes --help after the arguments and options too, before running anything", async () => {
    for (const args of [
      ["pipeline", "status", "run-1", "--help"],
      ["pipeline", "validate", "infrastructure-deploy", "--json", "-h"],
      ["pipeline", "approve", "run-1", "review", "--reject", "--help"],
      ["token", "issue", "--agent", "a", "--tier", "1", "--help"],
      ["run", "Design a data platform", "--timeout", "5", "--help"],
    ]) {
      const home = freshHome();
      const r = await agov(args, { AGOV_HOME: home });
      expect(r.code, args.join(" ")).toBe(0);
      expect(r.stdout).toMatch(/^Usage:\n/);
      expect(existsSync(home), `${args.join(" ")} created ${home}`).toBe(false);
    }
  });

  it("shows a command's usage for agov help <command> [<sub>]", async () => {
    const home = freshHome();
    const run = await agov(["help", "run"], { AGOV_HOME: home });
    expect(run.code).toBe(0);
    expect(run.stdout).toMatch(/^Usage:\n {2}agov run "<objective>"/);
    expect(run.stdout).not.toMatch(/Commands:/);
    const issue = await agov(["help", "token", "issue"], { AGOV_HOME: home });
    expect(issue.code).toBe(0);
    expect(issue.stdout).toMatch(/agov token issue --agent <id>/);
    expect(issue.stdout).not.toMatch(/agov token list/);
    const pipeline = await agov(["help", "pipeline"], { AGOV_HOME: home });
    expect(pipeline.stdout).toMatch(/agov pipeline validate[\s\S]*agov pipeline approve/);
    expect(existsSync(home)).toBe(false);
  });

  it("lists every command in the overview", async () => {
    for (const args of [["help"], ["help", "--help"], ["--help"]]) {
      const r = await agov(args, { AGOV_HOME: freshHome() });
      expect(r.code, args.join(" ")).toBe(0);
      for (const name of Object.keys(TABLE))
        expect(r.stdout).toMatch(new RegExp(`^ {2}${name} +\\S`, "m"));
    }
  });

  it.each([
    [["help", "frobnicate"], /^agov: unknown command "frobnicate"; see 'agov --help'$/],
    [
      ["pipeline", "frobnicate"],
      /^agov: pipeline: unknown command "frobnicate"; see 'agov pipeline --help'$/,
    ],
    [
      ["token", "frobnicate", "--help"],
      /^agov: token: unknown command "frobnicate"; see 'agov token --help'$/,
    ],
    [
      ["pipeline", "validate"],
      /^agov: pipeline validate: give the pipeline file or name; see 'agov pipeline --help'$/,
    ],
    [["help", "run", "now"], /^agov: run: unknown command "now"; see 'agov help run'$/],
    [["constructor"], /^agov: unknown command "constructor"; see 'agov --help'$/],
    // A stray argument was silently ignored: `audit query alpha` listed every agent's rows.
    [
      ["audit", "query", "alpha"],
      /^agov: audit query: unexpected argument "alpha"; see 'agov audit query --help'$/,
    ],
    [["pipeline", "status", "a", "b"], /^agov: pipeline status: give the run id; see/],
  ])("refuses %j in one line, creating nothing", async (args, message) => {
    const home = freshHome();
    const r = await agov(args, { AGOV_HOME: home });
    expect(r.code).toBe(2);
    expect(r.stderr.trim()).toMatch(message);
    expect(existsSync(home)).toBe(false);
  });

  it("prints the group's usage and exits 2 when the subcommand is missing", async () => {
    const home = freshHome();
    const r = await agov(["token"], { AGOV_HOME: home });
    expect(r.code).toBe(2);
    expect(r.stdout).toMatch(/^Usage:\n {2}agov token issue/);
    expect(existsSync(home)).toBe(false);
  });

  it("prints the version of package.json, which the MCP server announces too", async () => {
    const { version } = JSON.parse(readFileSync(join(ROOT, "package.json"), "utf8"));
    for (const flag of ["--version", "-v"]) {
      const r = await agov([flag], { AGOV_HOME: freshHome() });
      expect(r.code).toBe(0);
      expect(r.stdout).toBe(`${version}\n`);
    }
    const home = tempHome();
    const c = await stdioClient(home, await issueToken(home, "alpha", 0));
    try {
      expect(c.client.getServerVersion()).toEqual({ name: "agov", version });
    } finally {
      await c.close();
    }
  });
});
