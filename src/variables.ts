/** What the New search form offers of the kernel's variables: tables first, then the rest. */
import { IVariable } from './tokens';

/** Tables (they have columns), then arrays, then other data; the kernel's order within each. */
export function offeredVariables(variables: IVariable[]): IVariable[] {
  const rank = (v: IVariable) =>
    v.columns
      ? 0
      : Array.isArray(v.shape) &&
          v.shape.length >= 1 &&
          /ndarray|Tensor|Series/.test(v.type)
        ? 1
        : 2;
  return variables
    .map((v, i) => ({ v, i }))
    .sort((a, b) => rank(a.v) - rank(b.v) || a.i - b.i)
    .map(({ v }) => v);
}

/** The columns the target can be: those of the ticked tables, in order, each once. */
export function targetColumns(
  variables: IVariable[],
  ticked: string[]
): string[] {
  const seen = new Set<string>();
  for (const v of variables) {
    if (ticked.includes(v.name)) {
      for (const column of v.columns ?? []) {
        seen.add(column);
      }
    }
  }
  return Array.from(seen);
}
