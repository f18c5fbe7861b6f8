// completion/complete: values a caller can choose among for a prompt argument or a resource
// template parameter. Every value that comes from agov's state is read through the equivalent
// tool's governed call (on the record, refused as the tool would be), so a caller is offered only
// names it could read anyway: its own task, the agents on that task's roster, pipeline runs, the
// pipelines that can be run by name.
import type { Server } from "@modelcontextprotocol/sdk/server/index.js";
import { CompleteRequestSchema } from "@modelcontextprotocol/sdk/types.js";
import { BLACKBOARD_SECTIONS } from "../state/index.js";
import type { Gateway } from "./gateway.js";

/** The spec's limit on values in one completion answer. */
const MAX_VALUES = 100;

export interface CompletionSession {
  gateway: Gateway;
  id: string;
  token(extra: { authInfo?: { token: string } | undefined }): string;
  client(): string | undefined;
}

export function registerCompletions(server: Server, s: CompletionSession): void {
  server.setRequestHandler(CompleteRequestSchema, async (req, extra) => {
    const { ref, argument } = req.params;
    let token: string;
    try {
      token = s.token(extra);
    } catch {
      return none();
    }
    const what =
      ref.type === "ref/prompt" ? `prompt ${ref.name}` : `resource ${(ref as { uri: string }).uri}`;
    const read = async (tool: string, args: Record<string, unknown>) => {
      const c = s.client();
      const r = await s.gateway.call(
        token,
        {
          id: s.id,
          ...(c ? { client: c } : {}),
          action: `completion/complete ${argument.name} of ${what}`.slice(0, 300),
        },
        tool,
        args,
      );
      return r.isError ? null : ((r.structuredContent ?? {}) as Record<string, unknown>);
    };
    const ownTask = async () => {
      const r = await read("packet_get", {});
      const task = r?.task_id;
      return typeof task === "string" ? [task] : [];
    };

    let values: string[] = [];
    switch (argument.name) {
      case "section":
        values = [...BLACKBOARD_SECTIONS];
        break;
      case "task_id":
        values = await ownTask();
        break;
      case "run_id": {
        const r = await read("pipeline_status", { limit: MAX_VALUES });
        const runs = (r?.runs as Array<{ run_id?: unknown }> | undefined) ?? [];
        values = runs.map((x) => x.run_id).filter((x): x is string => typeof x === "string");
        break;
      }
      case "pipeline": {
        const r = await read("pipeline_describe", {});
        values = ((r?.pipelines as unknown[] | undefined) ?? []).filter(
          (x): x is string => typeof x === "string",
        );
        break;
      }
      case "agent_id": {
        const me = (await s.gateway.identify(token).catch(() => null))?.caller.agent_id;
        const [task] = await ownTask();
        const r = task ? await read("spawn_conditions", { task_id: task }) : null;
        values = [...new Set([...(me ? [me] : []), ...Object.keys(r?.roster ?? {})])];
        break;
      }
    }
    const prefix = argument.value;
    const matching = values.filter((v) => v.startsWith(prefix));
    return {
      completion: {
        values: matching.slice(0, MAX_VALUES),
        total: matching.length,
        hasMore: matching.length > MAX_VALUES,
      },
    };
  });
}

const none = () => ({ completion: { values: [], total: 0, hasMore: false } });
