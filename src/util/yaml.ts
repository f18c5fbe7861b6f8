// The yaml package, loaded on first use: `agov serve` starts without it unless a config file or a
// pipeline is read (loading it is about 5 % of a cold start).
import { createRequire } from "node:module";
import type * as Yaml from "yaml";

let loaded: typeof Yaml | undefined;

export function yaml(): typeof Yaml {
  loaded ??= createRequire(import.meta.url)("yaml") as typeof Yaml;
  return loaded;
}
