// Run order: a stable topological sort of the stages over `requires` and `when` references — stages
// keep their written order unless a dependency must come first — and the cycle, when there is one.

export interface GraphNode {
  name: string;
  /** Stages that must finish before this one (requires ∪ stages read by when). */
  after: readonly string[];
}

export type OrderResult = { ok: true; order: string[] } | { ok: false; cycle: string[] };

export function runOrder(nodes: readonly GraphNode[]): OrderResult {
  const known = new Set(nodes.map((n) => n.name));
  const deps = new Map(nodes.map((n) => [n.name, n.after.filter((d) => known.has(d))]));
  const placed = new Set<string>();
  const order: string[] = [];
  while (order.length < nodes.length) {
    const next = nodes.find(
      (n) => !placed.has(n.name) && deps.get(n.name)!.every((d) => placed.has(d)),
    );
    if (!next) return { ok: false, cycle: findCycle(nodes, deps, placed) };
    placed.add(next.name);
    order.push(next.name);
  }
  return { ok: true, order };
}

/**
 * A cycle among the stages not yet placed, starting at its first stage in written order: [a, b, a].
 * One depth-first pass with three colours, so a large graph costs O(stages + edges), never the
 * number of paths through it.
 */
function findCycle(
  nodes: readonly GraphNode[],
  deps: Map<string, string[]>,
  placed: Set<string>,
): string[] {
  const rest = nodes.filter((n) => !placed.has(n.name)).map((n) => n.name);
  const colour = new Map<string, "open" | "done">();
  const stack: string[] = [];
  const found: { cycle: string[] | null } = { cycle: null };
  const visit = (name: string): void => {
    if (found.cycle || placed.has(name) || colour.get(name) === "done") return;
    if (colour.get(name) === "open") {
      found.cycle = stack.slice(stack.indexOf(name));
      return;
    }
    colour.set(name, "open");
    stack.push(name);
    for (const d of deps.get(name) ?? []) {
      visit(d);
      if (found.cycle) return;
    }
    stack.pop();
    colour.set(name, "done");
  };
  for (const name of rest) {
    visit(name);
    if (found.cycle) break;
  }
  const ring = found.cycle;
  if (!ring) return rest;
  const written = new Map(rest.map((n, i) => [n, i]));
  let first = 0;
  ring.forEach((n, i) => {
    if ((written.get(n) ?? Infinity) < (written.get(ring[first]!) ?? Infinity)) first = i;
  });
  const rotated = [...ring.slice(first), ...ring.slice(0, first)];
  return [...rotated, rotated[0]!];
}
