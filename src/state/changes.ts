// Every write that a watcher may care about announces itself on the store's event channel, in one
// place, whoever the writer is (a tool, consensus, the lifecycle, a pipeline): MCP resource
// subscriptions and the runner's orchestrator react to these instead of polling.
import type { AgovEvent, StateStore } from "./index.js";

/**
 * Wraps a store so its blackboard posts, messages, roster lines, handoffs, packets and pipeline
 * runs publish an event once written. An event is a hint to re-read: one that cannot be published
 * (the store just failed) does not turn the write that succeeded into a failure.
 */
export function withChangeEvents(store: StateStore): StateStore {
  const announce = (event: AgovEvent) => {
    store.events.publish(event).catch(() => {});
  };
  const { blackboard, messages, roster, tasks, agents, pipelineRuns } = store;
  return {
    ...store,
    blackboard: {
      ...blackboard,
      async post(entry) {
        const out = await blackboard.post(entry);
        announce({ type: "blackboard", task_id: out.task_id, section: out.section, key: out.key });
        return out;
      },
    },
    messages: {
      ...messages,
      async send(msg) {
        const out = await messages.send(msg);
        announce({ type: "message", task_id: out.task_id, from: out.from, to: out.to });
        return out;
      },
    },
    roster: {
      ...roster,
      async set(taskId, agentId, line) {
        await roster.set(taskId, agentId, line);
        announce({ type: "roster", task_id: taskId, agent_id: agentId });
      },
    },
    tasks: {
      ...tasks,
      async putHandoff(taskId, handoff) {
        await tasks.putHandoff(taskId, handoff);
        announce({ type: "handoff", task_id: taskId });
      },
    },
    agents: {
      ...agents,
      async putPacket(agentId, packet) {
        await agents.putPacket(agentId, packet);
        announce({ type: "packet", agent_id: agentId });
      },
    },
    pipelineRuns: {
      ...pipelineRuns,
      async put(runId, record) {
        await pipelineRuns.put(runId, record);
        announce({ type: "pipeline_run", run_id: runId });
      },
    },
  };
}
