// Every tool the gateway publishes. Policies (policies/*.hcl) and docs/tools.md are generated from
// this list (`npm run gen`) and checked against it by test/unit/catalog.test.ts.

import { heartbeat } from "./agent/heartbeat.js";
import { whoami } from "./agent/whoami.js";
import { auditQuery } from "./audit/query.js";
import { auditVerify } from "./audit/verify.js";
import { blackboardPost } from "./blackboard/post.js";
import { blackboardRead } from "./blackboard/read.js";
import { consensusStatus } from "./consensus/consensus-status.js";
import { proposalCreate } from "./consensus/proposal-create.js";
import { spawnConditions } from "./consensus/spawn-conditions.js";
import { voteCast } from "./consensus/vote-cast.js";
import type { ToolDef } from "./define.js";
import { agentRevoke } from "./governance/agent-revoke.js";
import { artifactRead } from "./governance/artifact-read.js";
import { artifactRecord } from "./governance/artifact-record.js";
import { errorReport } from "./governance/error-report.js";
import { handoffRead } from "./governance/handoff-read.js";
import { packetCreate } from "./governance/packet-create.js";
import { packetGet } from "./governance/packet-get.js";
import { phaseTransition } from "./governance/phase-transition.js";
import { promotionApprove } from "./governance/promotion-approve.js";
import { promotionRequest } from "./governance/promotion-request.js";
import { health } from "./health/health.js";
import { lockAcquire } from "./locks/acquire.js";
import { lockRefresh } from "./locks/refresh.js";
import { lockRelease } from "./locks/release.js";
import { lockStatus } from "./locks/status.js";
import { messageRead } from "./messages/read.js";
import { messageSend } from "./messages/send.js";
import { checkpointLoad } from "./pipeline/checkpoint-load.js";
import { checkpointSave } from "./pipeline/checkpoint-save.js";
import { gateApprove } from "./pipeline/gate-approve.js";
import { pipelineDescribe } from "./pipeline/pipeline-describe.js";
import { pipelineRun } from "./pipeline/pipeline-run.js";
import { pipelineStatus } from "./pipeline/pipeline-status.js";
import { stageRun } from "./pipeline/stage-run.js";
import { findingsList } from "./review/findings-list.js";

export const TOOLS: readonly ToolDef[] = [
  whoami,
  health,
  heartbeat,
  lockStatus,
  blackboardRead,
  messageRead,
  auditQuery,
  packetGet,
  phaseTransition,
  artifactRecord,
  artifactRead,
  errorReport,
  handoffRead,
  promotionRequest,
  consensusStatus,
  spawnConditions,
  pipelineStatus,
  pipelineDescribe,
  lockAcquire,
  lockRefresh,
  lockRelease,
  blackboardPost,
  messageSend,
  voteCast,
  findingsList,
  checkpointSave,
  checkpointLoad,
  proposalCreate,
  stageRun,
  packetCreate,
  pipelineRun,
  agentRevoke,
  promotionApprove,
  gateApprove,
  auditVerify,
] as ToolDef[];

export type { ToolContext, ToolDef } from "./define.js";
