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

/** A cycle among the stages not yet placed, starting at the first one written: [a, b, a]. */
function findCycle(
  nodes: readonly GraphNode[],
  deps: Map<string, string[]>,
  placed: Set<string>,
): string[] {
  const rest = nodes.filter((n) => !placed.has(n.name));
  for (const start of rest) {
    const path: string[] = [];
    const onPath = new Set<string>();
    const found = walk(start.name);
    if (found) return found;

    function walk(name: string): string[] | null {
      if (onPath.has(name)) {
        const from = path.indexOf(name);
        return from === 0 ? [...path, name] : null;
      }
      if (placed.has(name)) return null;
      path.push(name);
      onPath.add(name);
      for (const d of deps.get(name) ?? []) {
        const hit = walk(d);
        if (hit) return hit;
      }
      path.pop();
      onPath.delete(name);
      return null;
    }
  }
  return rest.map((n) => n.name);
}
