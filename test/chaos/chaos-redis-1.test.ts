// Chaos on a real redis-server: stalled, and two agov servers sharing it.
import { describe } from "vitest";
import { redisAvailable } from "../support/redis-server.js";
import { chaosRun, everyInvariant } from "./run.js";

const NAMES = ["redis-stall", "two-servers"];
describe.runIf(redisAvailable())("agov chaos --quick on a real redis-server", () =>
  everyInvariant(chaosRun(NAMES), NAMES),
);
