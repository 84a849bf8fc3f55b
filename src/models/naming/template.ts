// Name templates: checkpoint names and hook names with `{var}` placeholders, e.g. `layer{s}.{b}.conv1`.
// Naming conventions are tables of such templates; these two helpers are all the code they need.

/** Replaces each `{var}` in `tpl` with its value; a placeholder without a value is an error. */
export function fill(tpl: string, vars: Readonly<Record<string, string | number>> = {}): string {
  return tpl.replace(/\{(\w+)\}/g, (_, v: string) => {
    const value = vars[v];
    if (value === undefined) throw new Error(`name template '${tpl}': no value for {${v}}`);
    return String(value);
  });
}

/** The sorted distinct values of the one placeholder left free in `tpl` (the others filled from
 *  `vars`) over the names that match, e.g. indicesOf('layer{s}.conv1.weight', names) → [1, 2, 3]. */
export function indicesOf(tpl: string, names: Iterable<string>, vars: Readonly<Record<string, string | number>> = {}): number[] {
  let free = 0;
  const pattern = tpl
    .split(/(\{\w+\})/)
    .map((part) => {
      const m = /^\{(\w+)\}$/.exec(part);
      if (!m) return part.replace(/[.*+?^${}()|[\]\\]/g, '\\$&');
      const value = vars[m[1]];
      if (value !== undefined) return String(value).replace(/[.*+?^${}()|[\]\\]/g, '\\$&');
      free++;
      return '(0|[1-9]\\d*)';
    })
    .join('');
  if (free !== 1) throw new Error(`name template '${tpl}': expected exactly one free placeholder, found ${free}`);
  const re = new RegExp(`^${pattern}$`);
  const found = new Set<number>();
  for (const name of names) {
    const m = re.exec(name);
    if (m) found.add(Number(m[1]));
  }
  return [...found].sort((a, b) => a - b);
}

/** Checks that indices run 0..n−1 (or first..) without holes; names the gap. */
export function requireContiguous(indices: readonly number[], first: number, what: string): void {
  indices.forEach((v, i) => {
    if (v !== first + i) throw new Error(`${what}: indices ${indices.join(', ')} have a gap (expected ${first + i})`);
  });
}
