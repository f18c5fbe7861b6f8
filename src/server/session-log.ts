// Governance events that concern a session's own agent, as MCP log messages
// (notifications/message): the SDK drops those below the level the client set with
// logging/setLevel. They carry what happened and what to do, never another agent's data.
import type { LoggingLevel } from "@modelcontextprotocol/sdk/types.js";
import type { AgovEvent } from "../state/index.js";

export interface GovernanceLog {
  level: LoggingLevel;
  logger: "agov";
  data: { event: string; message: string } & Record<string, unknown>;
}

/**
 * The log message a state event makes for the session of `agent`, or null if it is not its.
 * `decidesGates`: the agent's tier is enough for gate_approve, so a waiting human gate is its.
 */
export function governanceLog(
  e: AgovEvent,
  agent: string,
  decidesGates = false,
): GovernanceLog | null {
  const log = (level: LoggingLevel, data: GovernanceLog["data"]): GovernanceLog => ({
    level,
    logger: "agov",
    data,
  });
  switch (e.type) {
    case "revoked":
      return e.agent_id === agent
        ? log("error", {
            event: "revoked",
            agent_id: agent,
            message: `agent ${agent} was revoked: every further call is refused; handoff_read on your task says why`,
          })
        : null;
    case "tier_changed":
      return e.agent_id === agent
        ? log("notice", {
            event: "tier_changed",
            agent_id: agent,
            tier: e.tier,
            message: `agent ${agent} is now tier T${e.tier}; tools/list shows what it may call`,
          })
        : null;
    case "packet":
      return e.agent_id === agent
        ? log("notice", {
            event: "packet",
            agent_id: agent,
            message: `a new instruction packet was issued to ${agent}; read it with packet_get`,
          })
        : null;
    case "message":
      return e.to === agent || (e.to === "ALL" && e.from !== agent)
        ? log("info", {
            event: "message",
            task_id: e.task_id,
            from: e.from,
            message: `a message from ${e.from} on task ${e.task_id} is waiting: message_read`,
          })
        : null;
    case "stage_waiting":
      if (e.kind === "human-gate")
        return decidesGates
          ? log("notice", {
              event: "gate_waiting",
              run_id: e.run_id,
              stage: e.stage,
              message: `gate ${e.stage} of pipeline run ${e.run_id} is waiting for a decision: gate_approve`,
            })
          : null;
      return e.assignee === agent
        ? log("notice", {
            event: "stage_waiting",
            run_id: e.run_id,
            stage: e.stage,
            message: `stage ${e.stage} of pipeline run ${e.run_id} is waiting for ${agent}: take it with stage_run`,
          })
        : null;
    default:
      return null;
  }
}
