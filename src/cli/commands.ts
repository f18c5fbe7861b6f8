// Every agov command, once: its summary, usage, options and positionals, and a loader for its
// handler. The dispatcher (main.ts) answers --help, `agov help` and usage errors from this table
// alone, so a command's module is imported only when that command runs.
import { LEDGER_KINDS } from "../ledger/index.js";
import type { Options } from "./args.js";
import { command, type Entry } from "./command.js";

const json = { json: { type: "boolean" } } satisfies Options;
/** How the agents' model behaves: per-attempt timeout, retries, max tokens (they win over config). */
const MODEL_FLAGS = {
  "model-timeout": { type: "string" },
  "model-retries": { type: "string" },
  "model-max-tokens": { type: "string" },
} satisfies Options;
export const RUN = {
  timeout: { type: "string" },
  json: { type: "boolean" },
  out: { type: "string" },
  server: { type: "string" },
  agents: { type: "string" },
  replacements: { type: "string" },
  ...MODEL_FLAGS,
} satisfies Options;
export const SERVE = {
  http: { type: "string" },
  host: { type: "string" },
  "anonymous-tier": { type: "string" },
} satisfies Options;
export const CONSOLE = { url: { type: "string" }, print: { type: "boolean" } } satisfies Options;
export const PIPELINE_RUN = { objective: { type: "string" }, ...json } satisfies Options;
export const PIPELINE_JSON = json;
export const REVIEW = {
  pipeline: { type: "string" },
  out: { type: "string" },
  watch: { type: "string" },
  "risk-threshold": { type: "string" },
  github: { type: "string" },
  ...json,
} satisfies Options;
export const PIPELINE_APPROVE = {
  reject: { type: "boolean" },
  reason: { type: "string" },
  by: { type: "string" },
} satisfies Options;
export const TOKEN_ISSUE = {
  agent: { type: "string" },
  tier: { type: "string" },
  ttl: { type: "string" },
  ...json,
} satisfies Options;
export const TOKEN_REVOKE = {
  agent: { type: "string" },
  reason: { type: "string" },
} satisfies Options;
export const TOKEN_LIST = json;
export const AUDIT_QUERY = {
  agent: { type: "string" },
  tool: { type: "string" },
  decision: { type: "string" },
  kind: { type: "string" },
  session: { type: "string" },
  task: { type: "string" },
  since: { type: "string" },
  limit: { type: "string" },
  cursor: { type: "string" },
  all: { type: "boolean" },
  ...json,
} satisfies Options;
export const AUDIT_VERIFY = {
  anchor: { type: "string", multiple: true },
  full: { type: "boolean" },
  ...json,
} satisfies Options;
export const AUDIT_ANCHOR = {} satisfies Options;
export const AUDIT_EXPORT = {
  format: { type: "string" },
  since: { type: "string" },
} satisfies Options;
export const LEDGER_MIGRATE = { to: { type: "string" } } satisfies Options;
export const CHAOS = {
  quick: { type: "boolean" },
  seed: { type: "string" },
  scenario: { type: "string", multiple: true },
  ...json,
} satisfies Options;
export const POLICIES_APPLY = json;
export const DOCTOR = json;
export const AGENT_RUN = {
  objective: { type: "string" },
  tier: { type: "string" },
  template: { type: "string" },
  model: { type: "string" },
  offline: { type: "boolean" },
  url: { type: "string" },
  token: { type: "string" },
  "issuer-token": { type: "string" },
  timeout: { type: "string" },
  ...MODEL_FLAGS,
  ...json,
} satisfies Options;
export const AGENT_CREATE = {
  agent: { type: "string" },
  tier: { type: "string" },
  server: { type: "boolean" },
  ...json,
} satisfies Options;

/** Kept here, not imported from the scenarios, so that --help loads no chaos code. */
export const SCENARIO_NAMES = [
  "redis-kill-aof",
  "redis-kill-nopersist",
  "redis-stall",
  "two-servers",
  "server-kill",
  "agent-kill",
  "model-faults",
  "pipeline-kill",
].join(", ");

const pipelineRef = {
  min: 1,
  max: 1,
  wrong: "give the pipeline file or name; see 'agov pipeline --help'",
};
const runId = { min: 1, max: 1, wrong: "give the run id; see 'agov pipeline --help'" };

export const COMMANDS: Record<string, Entry> = {
  run: {
    summary: "Run the bundled agents (ALPHA, BETA, GAMMA) on an objective, governed",
    command: command({
      usage: `  agov run "<objective>" [--timeout 120] [--json] [--out report.md] [--server memory|stdio|<url>]
           [--agents alpha,beta[,terraform,ansible,code-review]] [--replacements 1]
           [--model-timeout 60] [--model-retries 2] [--model-max-tokens N]

Runs ALPHA (research) and BETA (synthesis) on the objective as governed MCP clients, spawns GAMMA
(mediator) when a spawn condition fires, and prints the final report in Markdown (stdout, or the
--out file). Live progress goes to stderr. With --json, stdout carries the run's result and
metrics as JSON instead. The model is OpenRouter (OPENROUTER_API_KEY), any OpenAI-compatible
endpoint (OPENAI_BASE_URL / OPENAI_API_KEY), or, with no key, the offline deterministic model.
Exits 0 on consensus, 1 when none was reached (the report says why, naming the model endpoint
when it kept failing).

  --timeout <s>           stop the run after this many seconds (default 120)
  --server memory         agov in this process, each agent on its own in-memory session (default)
  --server stdio          launch one \`agov serve\` per agent over stdio
  --server <url>          connect to a running \`agov serve --http\` (e.g. http://127.0.0.1:8787/mcp)
  --agents <list>         alpha and beta, plus specialists from the agent templates beside them:
                          terraform (T1), ansible (T1), code-review (T0); each gets its template's
                          packet and tier, reviews the first proposal and records its deliverables
  --replacements <n>      fresh agents per role that may take over from one revoked for its own
                          faults (default 1; config replacements, AGOV_REPLACEMENTS)
  --model-timeout <s>     per model attempt (default 60; config model_timeout_ms)
  --model-retries <n>     retries of a failed model request (default 2; config model_retries)
  --model-max-tokens <n>  the most tokens per reply (default: the endpoint's; model_max_tokens)`,
      options: RUN,
      positionals: {
        min: 1,
        max: Number.POSITIVE_INFINITY,
        wrong: 'give the objective, e.g. agov run "Design a data platform"',
      },
      load: () => import("./run.js").then((m) => m.run),
    }),
  },
  review: {
    summary:
      "Review a repository: findings from its tests, lint and the ledger; suggestions; council votes",
    command: command({
      usage: `  agov review <path> [--pipeline architecture-review] [--json] [--out <dir>]
              [--watch <interval>] [--risk-threshold low|medium|high] [--github owner/repo#N]

Runs the architecture-review pipeline on the repository at <path>: its test and lint commands as
governed command stages in that directory (\`npm test\`, \`npm run lint\`; a repository may bring
its own pipeline as .agov/review.yaml), then the bug watcher turns failures in JUnit XML, TAP,
vitest/jest JSON, ESLint or Biome JSON output, and agov's own ledger, into findings; each new or
worsening finding gets a suggestion, and the council (ALPHA, BETA, GAMMA) votes on it. Findings are
kept per repository: a rerun with nothing new re-reviews nothing, and a failure that is gone is
marked resolved. The report (Markdown, or JSON with --json) goes to stdout and to
<out>/<run-id>.md and .json (default AGOV_HOME/reviews). Progress goes to stderr. Exits 0 when the
review ran (whatever it found), 1 when a review stage failed or the report could not be posted.

  --pipeline <name|file>  another review pipeline (default: .agov/review.yaml, else the bundled one)
  --watch <interval>      review again every interval (e.g. 10m) until stopped
  --risk-threshold <r>    accepted suggestions at or above this risk wait at the signoff gate
                          (default high)
  --github owner/repo#N   also post the report as a comment on that issue or pull request
                          (needs GITHUB_TOKEN; AGOV_GITHUB_API_URL for GitHub Enterprise)`,
      options: REVIEW,
      positionals: { min: 1, max: 1, wrong: "give the repository's path, e.g. agov review ." },
      load: () => import("./review.js").then((m) => m.review),
    }),
  },
  serve: {
    summary: "Serve the governed tools over MCP (stdio, or --http <port>)",
    command: command({
      usage: `  agov serve                     MCP over stdio; the caller's token comes from AGOV_TOKEN
  agov serve --http <port> [--host 127.0.0.1] [--anonymous-tier 0]
                                 MCP over Streamable HTTP at http://<host>:<port>/mcp;
                                 every request needs Authorization: Bearer <token>, from
                                 \`agov token issue\` or the OAuth sign-in (/authorize)
  --anonymous-tier 0             TEST MODE (conformance suites): a request without a token
                                 is served as agent "anonymous" at T0; never in production`,
      options: SERVE,
      load: () => import("./serve.js").then((m) => m.serve),
    }),
  },
  console: {
    summary: "Open the web console of a running agov serve --http (at /console)",
    command: command({
      usage: `  agov console [--url http://127.0.0.1:8787] [--print]

Prints the console's address (<server>/console) once the server answers, and opens it in a
browser when xdg-open (or open) exists; --print only prints it. The server is --url, else
http_public_url (AGOV_HTTP_PUBLIC_URL), else http://127.0.0.1:8787. Sign in there with a token
from \`agov token issue\`: the console shows and does what that token's tier may. Exits 1 when
no server answers.`,
      options: CONSOLE,
      load: () => import("./console.js").then((m) => m.openConsole),
    }),
  },
  doctor: {
    summary: "Check the configuration, AGOV_HOME and every dependency, and say what to fix",
    command: command({
      usage: `  agov doctor [--json]

Checks the configuration, AGOV_HOME (present or creatable, private, writable) and the files in it,
Redis (when AGOV_STATE=redis), Vault (when AGOV_AUTHORITY=vault) and the model endpoint (when a
key or OPENAI_BASE_URL is set). Prints one row per check and what to fix; exits 0 when everything
is in order, 1 when something agov needs is missing or down (the row names its address).`,
      options: DOCTOR,
      load: () => import("./doctor.js").then((m) => m.doctor),
    }),
  },
  pipeline: {
    summary: "Validate, run, resume and approve pipelines (YAML stages, human gates)",
    subcommands: {
      validate: command({
        usage: `  agov pipeline validate <file|name> [--json]
      Check a pipeline: YAML, fields, roles, templates, requires, when, cycles. Each problem is
      one line: file:line: field: what is wrong. Exit 0 when valid, 1 when not.`,
        options: PIPELINE_JSON,
        positionals: pipelineRef,
        load: () => import("./pipeline.js").then((m) => m.validate),
      }),
      run: command({
        usage: `  agov pipeline run <file|name> [--objective "<text>"] [--json]
      Run it here with the bundled stage agents (offline model when no API key is set). Each
      stage transition is a line on stderr; human gates wait for 'agov pipeline approve'.`,
        options: PIPELINE_RUN,
        positionals: pipelineRef,
        load: () => import("./pipeline.js").then((m) => m.run),
      }),
      resume: command({
        usage: `  agov pipeline resume <run-id> [--json]
      Continue a stopped run (its runner crashed or was killed) from its last completed stage.`,
        options: PIPELINE_JSON,
        positionals: runId,
        load: () => import("./pipeline.js").then((m) => m.resume),
      }),
      status: command({
        usage: `  agov pipeline status [<run-id>] [--json]
      A run's stages, or the most recent runs.`,
        options: PIPELINE_JSON,
        positionals: { ...runId, min: 0 },
        load: () => import("./pipeline.js").then((m) => m.status),
      }),
      approve: command({
        usage: `  agov pipeline approve <run-id> <stage> [--reject] [--reason "<text>"] [--by <name>]
      Decide a human gate the run is waiting at.`,
        options: PIPELINE_APPROVE,
        positionals: {
          min: 2,
          max: 2,
          wrong: "give the run id and the gate's stage, e.g. agov pipeline approve <run-id> review",
        },
        load: () => import("./pipeline.js").then((m) => m.approve),
      }),
    },
    note: `A <name> is looked up in $AGOV_HOME/pipelines, then in the pipelines shipped with agov
(infrastructure-deploy, ...). See docs/pipelines.md.`,
  },
  token: {
    summary: "Issue, revoke and list agent tokens",
    subcommands: {
      issue: command({
        usage: `  agov token issue --agent <id> --tier <0-4> [--ttl <duration>] [--json]
      Issue a token for an agent at a tier. The token is shown once and stored only as a hash.
      Default TTL by tier: T0 1h, T1 30m, T2 30m, T3 15m, T4 15m; --ttl from 1s to 366d.`,
        options: TOKEN_ISSUE,
        load: () => import("./token.js").then((m) => m.issue),
      }),
      revoke: command({
        usage: `  agov token revoke --agent <id> [--reason <text>]
      Revoke the agent as agent_revoke does: every live token, its run in progress (marked
      revoked, locks released, a handoff left for its task), and its open sessions, on every
      server, lose their tools at once. Exits 1 when there is nothing to revoke.`,
        options: TOKEN_REVOKE,
        load: () => import("./token.js").then((m) => m.revoke),
      }),
      list: command({
        usage: `  agov token list [--json]
      Agents, tiers, expiry and revocation of every token (never the token itself).`,
        options: TOKEN_LIST,
        load: () => import("./token.js").then((m) => m.list),
      }),
    },
  },
  audit: {
    summary: "Query the audit ledger and verify its hash chain",
    subcommands: {
      query: command({
        usage: `  agov audit query [--agent <id>] [--tool <name>] [--decision allow|deny] [--kind <kind>]
                   [--session <id>] [--task <id>] [--since <iso time|duration>] [--limit N]
                   [--cursor <row id> | --all] [--json]
      Rows of the audit ledger, newest first, a page of --limit (default 50) at a time; stderr
      says how many more match and the --cursor of the next page. --all prints every matching row.
      --since 1h means the last hour; --task the calls that named the task (task_id) and its runs.
      Kinds: ${LEDGER_KINDS.join(", ")}.`,
        options: AUDIT_QUERY,
        load: () => import("./audit-query.js").then((m) => m.query),
      }),
      verify: command({
        usage: `  agov audit verify [--full] [--anchor <file>] [--json]
      Check the keyed hash chain and the signed anchors kept beside the ledger key (plus those in
      <file>, as exported by 'audit anchor'): exit 0 when intact, 1 saying what was done to which
      row (modified, missing, re-chained, truncated, wiped). Reads only the rows written since the
      last verify that passed (its signed checkpoint); --full reads every row again.`,
        options: AUDIT_VERIFY,
        load: () => import("./audit.js").then((m) => m.verify),
      }),
      anchor: command({
        usage: `  agov audit anchor
      Sign an anchor of the current end of the ledger and print it as one JSON line, to keep
      somewhere the ledger's owner cannot rewrite (a ticket, another machine, a printout).`,
        options: AUDIT_ANCHOR,
        load: () => import("./audit.js").then((m) => m.anchor),
      }),
      export: command({
        usage: `  agov audit export --format jsonl|csv [--since <iso time|duration>]
      Every row of the ledger (or those since a time), oldest first, to stdout: one JSON object per
      line, or CSV with a header. Rows are as chained, hashes included, on either ledger adapter.`,
        options: AUDIT_EXPORT,
        load: () => import("./audit-export.js").then((m) => m.exportRows),
      }),
    },
  },
  ledger: {
    summary: "Move the audit ledger between adapters",
    subcommands: {
      migrate: command({
        usage: `  agov ledger migrate --to postgres
      Copy the embedded ledger ($AGOV_HOME/ledger.db) into the empty PostgreSQL database of
      ledger_url (AGOV_LEDGER_URL), rows as they are: the embedded ledger must verify first, and the
      copy must verify to the same tip. Then set ledger: postgres (AGOV_LEDGER=postgres).`,
        options: LEDGER_MIGRATE,
        load: () => import("./ledger.js").then((m) => m.migrate),
      }),
    },
  },
  chaos: {
    summary: "Inject faults into real agov servers, Redis and agents, then check the invariants",
    command: command({
      usage: `  agov chaos [--quick] [--seed N] [--scenario <name>]... [--json]

Starts its own agov servers (HTTP), redis-server (on a free loopback port), agents and pipeline
runners in a temporary directory, injects one fault per scenario, and checks after each: no two
holders of a lock at once; fences strictly increasing; every acknowledged call on the ledger and
in effect (AOF Redis, embedded SQLite); every ledger row with an outcome or marked unknown;
'audit verify' passes; no finished pipeline stage run twice; no revoked agent served; the server
recovered without a restart. Prints a table (scenario × invariant: ok, FAIL, n/a); exits 0 only
when every invariant holds. A scenario that cannot run here (no redis-server) is skipped loudly,
and is a failure when CI=true. Nothing outside the temporary directory is touched.

  --quick            the short version (about two minutes; what CI runs)
  --seed <N>         the seed for workloads, fault timing and kill points (default: random,
                     printed, so a run can be replayed)
  --scenario <name>  run only this scenario (repeatable): ${SCENARIO_NAMES}
  --json             the results as JSON on stdout`,
      options: CHAOS,
      load: () => import("./chaos.js").then((m) => m.chaos),
    }),
  },
  policies: {
    summary: "Write the tier policies into Vault and enable AppRole (policies apply)",
    subcommands: {
      apply: command({
        usage: `  agov policies apply [--json]
      Write the tier policies (t0-observer … t4-architect), agov-server and any policies in
      $AGOV_HOME/policies into the Vault at VAULT_ADDR as ACL policies, and enable the AppRole
      auth method at auth/approle/ if it is not enabled yet. Safe to run again after an upgrade.
      Needs VAULT_ADDR and an operator's VAULT_TOKEN (may write sys/policies/acl/* and, once,
      sudo on sys/auth/approle).`,
        options: POLICIES_APPLY,
        load: () => import("./policies.js").then((m) => m.apply),
      }),
    },
  },
  agent: {
    summary:
      "Run one governed agent through a task (agent run); create its Vault role (agent create)",
    subcommands: {
      run: command({
        usage: `  agov agent run --objective "<text>" [--tier 0-3] [--template terraform|ansible|code-review]
                 [--model <name>] [--offline] [--timeout 300] [--json]
                 [--model-timeout 60] [--model-retries 2] [--model-max-tokens N]
                 [--url http://host:port/mcp [--token <agent token> [--issuer-token <token>]]]
      One governed agent through one task on its own: a dispatcher a tier above writes its
      instruction packet (generic, or the template's, whose tier is the default), and the agent
      walks BOOTSTRAP, PREFLIGHT, PLAN, EXECUTE, VERIFY, PACKAGE, REPORT and EXIT with the model
      (as for agov run; --model picks another model name, --offline the offline model), recording
      a plan, each deliverable and a report as artifacts. Prints a report of its phases, artifacts
      and ledger rows (Markdown, or JSON with --json); exits 0 when it reached EXIT, 1 if not.
      --url runs it against agov serve --http: with tokens issued here (same AGOV_HOME), or with
      --token (the agent's own; its id and tier are the token's) and --issuer-token (a token a
      tier above it, to write the packet; not needed when the agent already has one).`,
        options: AGENT_RUN,
        load: () => import("./agent-run.js").then((m) => m.runAgent),
      }),
      create: command({
        usage: `  agov agent create --agent <id> --tier <0-4> [--json]
      Write the AppRole role <id> (token_policies = the tier's policy and agent-<id>; token TTL by
      tier: T0 1h, T1 30m, T2 30m, T3 15m, T4 15m; renewable up to 4x that) and print its role id
      and a new secret id. Running it again changes the tier and issues another secret id.
  agov agent create --server [--json]
      The same for the gateway's own role, agov-server (policy agov-server; TTL 1h, max 24h).
      Give its role id and secret id to 'agov serve' as VAULT_ROLE_ID and VAULT_SECRET_ID.
  Needs VAULT_ADDR and an operator's VAULT_TOKEN; run 'agov policies apply' first.`,
        options: AGENT_CREATE,
        load: () => import("./agent.js").then((m) => m.create),
      }),
    },
  },
};
