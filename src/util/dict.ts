// Maps keyed by what callers send (error types, names) as plain JSON-friendly objects without a
// prototype, so "constructor", "toString" or "__proto__" are keys like any other: nothing is read
// from Object.prototype and nothing is written to it.
export function dict<V>(entries: Iterable<readonly [string, V]> = []): Record<string, V> {
  const d = Object.create(null) as Record<string, V>;
  for (const [k, v] of entries) d[k] = v;
  return d;
}
