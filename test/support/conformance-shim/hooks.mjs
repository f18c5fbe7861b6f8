// Module resolution hook: the conformance suite's "fs" becomes fs.mjs (node:fs plus globSync).
const SUITE = "/@modelcontextprotocol/conformance/";

export async function resolve(specifier, context, next) {
  if ((specifier === "fs" || specifier === "node:fs") && context.parentURL?.includes(SUITE))
    return { url: new URL("./fs.mjs", import.meta.url).href, shortCircuit: true };
  return next(specifier, context);
}
