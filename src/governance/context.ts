// What the governance modules share: the ports, the packet lookup and the revoker.
import type { Authority } from "../authority/index.js";
import type { Ledger } from "../ledger/index.js";
import type { StateStore } from "../state/index.js";
import type { Clock, Ids } from "../util/clock.js";
import type { InstructionPacket } from "./packets.js";
import type { Handoff, RevokeRequest } from "./revocation.js";

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
  revoke(req: RevokeRequest): Promise<Handoff | null>;
}
