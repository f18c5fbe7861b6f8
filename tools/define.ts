// The shape of one governed tool: name, tier, description, zod input, MCP annotations, handler.
// Handlers receive the resolved caller from the server; they never trust an agent id in arguments,
// and reach state and the ledger only through the domain modules, which keep their rules.
import type { z } from "zod";
import type { Audit } from "../src/audit/index.js";
import type { Caller, Tier } from "../src/authority/index.js";
import type { Consensus } from "../src/coordination/consensus.js";
import type { Coordination } from "../src/coordination/index.js";
import type { Governance, Phase } from "../src/governance/index.js";
import type { Health } from "../src/health/index.js";
import type { Pipelines } from "../src/pipeline/index.js";
import type { FindingsReader } from "../src/review/index.js";
import type { Clock } from "../src/util/clock.js";

export interface ToolContext {
  caller: Caller;
  session_id: string;
  /** The tools this caller may call right now. */
  granted: ReadonlySet<string>;
  coordination: Coordination;
  consensus: Consensus;
  governance: Governance;
  pipelines: Pipelines;
  audit: Audit;
  /** The architecture review's findings (agov review). */
  findings: FindingsReader;
  clock: Clock;
  /** The state of every dependency of this server. */
  health: Health;
  /**
   * Asks the person at the caller's MCP client (elicitation), when the client supports it and the
   * session can carry the question (stdio, SSE). Undefined otherwise.
   */
  elicit?: Elicit;
  /**
   * The caller's idempotency key for this change, if it sent one: a tool that makes its effect
   * from the key (a lock's lease id) can recognise its own earlier success on a retry.
   */
  idempotency_key?: string;
}

export type Elicit = (req: {
  message: string;
  /** How long the person has to answer (the SDK's default is one minute). */
  timeoutMs?: number;
  requestedSchema: { type: "object"; properties: Record<string, unknown>; required?: string[] };
}) => Promise<{ action: "accept" | "decline" | "cancel"; content?: Record<string, unknown> }>;

export interface ToolAnnotations {
  title?: string;
  readOnlyHint?: boolean;
  destructiveHint?: boolean;
  idempotentHint?: boolean;
  openWorldHint?: boolean;
}

export interface ToolDef<S extends z.ZodType = z.ZodType> {
  name: string;
  tier: Tier;
  description: string;
  input: S;
  /**
   * What the tool answers (its outputSchema): the gateway checks every result against it before
   * it leaves, and a result that does not match is a server bug, refused and on the record.
   */
  output: z.ZodType;
  annotations: ToolAnnotations;
  /**
   * Lifecycle phases in which an agent running under an instruction packet may call this tool.
   * Read-only tools run in every phase; a changing tool defaults to EXECUTE and VERIFY; "any" is
   * for the lifecycle tools themselves (phase_transition, error_report, …).
   */
  phases?: readonly Phase[] | "any";
  /**
   * Running it again with the same idempotency key, after an outcome that is unknown, cannot act
   * twice (it recognises its own earlier effect). Tools with idempotentHint are so by nature.
   */
  rerunsWithKey?: boolean;
  handler(input: z.infer<S>, ctx: ToolContext): Promise<unknown>;
}

export function defineTool<S extends z.ZodType>(def: ToolDef<S>): ToolDef<S> {
  return def;
}
