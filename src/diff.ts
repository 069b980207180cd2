/**
 * The line diff for "this node against its parent": Myers' algorithm from the `diff` package
 * (jsdiff) on the two scripts' lines, then hunks with a few lines of context, shown as a unified
 * diff (+/- and both line numbers, as in a code review).
 */
import { diffArrays } from 'diff';

/** One line of a diff: kept, added or removed, with its line numbers (1-based) on each side. */
export interface IDiffLine {
  kind: 'same' | 'add' | 'del';
  text: string;
  oldNo: number | null;
  newNo: number | null;
}

/** A run of changed lines with context, or a marker for skipped unchanged lines. */
export type DiffItem = IDiffLine | { kind: 'skip'; count: number };

/** A diff still running after this long (two huge, wholly different scripts) gives up: the
 * scripts are then shown as removed-then-added. */
const TIMEOUT_MS = 2000;

export function splitLines(text: string): string[] {
  if (text === '') {
    return [];
  }
  const lines = text.replace(/\r\n?/g, '\n').split('\n');
  if (lines[lines.length - 1] === '') {
    lines.pop();
  }
  return lines;
}

/** The full line diff from `before` to `after`. */
export function diffLines(before: string, after: string): IDiffLine[] {
  const a = splitLines(before);
  const b = splitLines(after);
  const changes = diffArrays(a, b, { timeout: TIMEOUT_MS }) ?? [
    { value: a, removed: true, added: false, count: a.length },
    { value: b, removed: false, added: true, count: b.length }
  ];
  const out: IDiffLine[] = [];
  let oldNo = 1;
  let newNo = 1;
  for (const change of changes) {
    for (const text of change.value) {
      if (change.removed) {
        out.push({ kind: 'del', text, oldNo: oldNo++, newNo: null });
      } else if (change.added) {
        out.push({ kind: 'add', text, oldNo: null, newNo: newNo++ });
      } else {
        out.push({ kind: 'same', text, oldNo: oldNo++, newNo: newNo++ });
      }
    }
  }
  return out;
}

/** Keep `context` unchanged lines around each change; longer unchanged runs become a skip marker. */
export function withContext(lines: IDiffLine[], context = 3): DiffItem[] {
  const keep = new Uint8Array(lines.length);
  lines.forEach((line, k) => {
    if (line.kind !== 'same') {
      const lo = Math.max(0, k - context);
      const hi = Math.min(lines.length - 1, k + context);
      for (let x = lo; x <= hi; x++) {
        keep[x] = 1;
      }
    }
  });
  const out: DiffItem[] = [];
  let skipped = 0;
  lines.forEach((line, k) => {
    if (keep[k]) {
      if (skipped > 0) {
        out.push({ kind: 'skip', count: skipped });
        skipped = 0;
      }
      out.push(line);
    } else {
      skipped++;
    }
  });
  if (skipped > 0) {
    out.push({ kind: 'skip', count: skipped });
  }
  return out;
}

/** Added and removed line counts. */
export function diffStats(lines: IDiffLine[]): {
  added: number;
  removed: number;
} {
  let added = 0;
  let removed = 0;
  for (const line of lines) {
    if (line.kind === 'add') {
      added++;
    } else if (line.kind === 'del') {
      removed++;
    }
  }
  return { added, removed };
}
