// What the governance modules share: the ports, the packet lookup, the run the agent is held to,
// and the revoker.
import type { Authority } from "../authority/index.js";
import type { Ledger } from "../ledger/index.js";
import type { StateStore } from "../state/index.js";
import type { Clock, Ids } from "../util/clock.js";
import type { InstructionPacket } from "./packets.js";
import type { RevokeRequest, RevokeResult } from "./revocation.js";
import type { AgentRun } from "./runs.js";

export interface GovernanceDeps {
  state: StateStore;
  ledger: Ledger;
  authority: Authority;
  clock: Clock;
  ids: Ids;
}

export interface GovernanceContext {
  deps: GovernanceDeps;
  packetOf(agentId: string): Promise<InstructionPacket | null>;
  /**
   * The packet a run was started on (`run.packet_at`), or null when the agent's packet is another
   * one now. Kept in memory after the first read (see index.ts).
   */
  heldPacket(agentId: string, packetAt: string): Promise<InstructionPacket | null>;
  /** Drops the cached packet of an agent (this process wrote it a new one). */
  forgetPacket(agentId: string): void;
  /**
   * The packet and run the agent is held to (lifecycle, forbidden list, error budget): from its
   * BOOTSTRAP on that packet until the run ends. Null before and after, and without a packet.
   */
  governed(agentId: string): Promise<{ packet: InstructionPacket; run: AgentRun } | null>;
  revoke(req: RevokeRequest): Promise<RevokeResult>;
}
