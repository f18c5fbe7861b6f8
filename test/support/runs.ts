// Drives agents through the lifecycle over MCP, for governance scenario tests.
import { expect } from "vitest";
import type { AgentClient } from "./inproc.js";

export async function givePacket(
  orchestrator: AgentClient,
  agent: string,
  task: string,
  extra: Record<string, unknown> = {},
): Promise<void> {
  const r = await orchestrator.call("packet_create", {
    agent_id: agent,
    task_id: task,
    objective: `work on ${task}`,
    ...extra,
  });
  expect(r.isError, r.text).toBe(false);
}

/** Moves the agent through the given phases, asserting each succeeds. */
export async function walk(agent: AgentClient, phases: string[]): Promise<void> {
  for (const phase of phases) {
    const r = await agent.call("phase_transition", { phase });
    expect(r.isError, `${phase}: ${r.text}`).toBe(false);
    if (phase === "PLAN") {
      const plan = await agent.call("artifact_record", {
        name: "plan",
        kind: "plan",
        content: { steps: ["do the work"] },
      });
      expect(plan.isError, plan.text).toBe(false);
    }
  }
}

export const TO_EXECUTE = ["BOOTSTRAP", "PREFLIGHT", "PLAN", "EXECUTE"];
export const AFTER_EXECUTE = ["VERIFY", "PACKAGE", "REPORT", "EXIT"];
