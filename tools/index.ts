// Every tool the gateway publishes. Policies (policies/*.hcl) and docs/tools.md are generated from
// this list (`npm run gen`) and checked against it by test/unit/catalog.test.ts.

import { heartbeat } from "./agent/heartbeat.js";
import { whoami } from "./agent/whoami.js";
import { auditQuery } from "./audit/query.js";
import { blackboardPost } from "./blackboard/post.js";
import { blackboardRead } from "./blackboard/read.js";
import type { ToolDef } from "./define.js";
import { lockAcquire } from "./locks/acquire.js";
import { lockRefresh } from "./locks/refresh.js";
import { lockRelease } from "./locks/release.js";
import { lockStatus } from "./locks/status.js";
import { messageRead } from "./messages/read.js";
import { messageSend } from "./messages/send.js";

export const TOOLS: readonly ToolDef[] = [
  whoami,
  heartbeat,
  lockStatus,
  blackboardRead,
  messageRead,
  auditQuery,
  lockAcquire,
  lockRefresh,
  lockRelease,
  blackboardPost,
  messageSend,
] as ToolDef[];

export type { ToolContext, ToolDef } from "./define.js";
