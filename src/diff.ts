/**
 * A small line diff for "this node against its parent": longest common subsequence on the lines
 * that differ (the common head and tail are cut first), then hunks with a few lines of context.
 */

/** One line of a diff: kept, added or removed, with its line numbers (1-based) on each side. */
export interface IDiffLine {
  kind: 'same' | 'add' | 'del';
  text: string;
  oldNo: number | null;
  newNo: number | null;
}

/** A run of changed lines with context, or a marker for skipped unchanged lines. */
export type DiffItem = IDiffLine | { kind: 'skip'; count: number };

/** Above this many cells in the LCS table, the middle is shown as removed-then-added. */
const MAX_TABLE = 4_000_000;

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
  let head = 0;
  while (head < a.length && head < b.length && a[head] === b[head]) {
    head++;
  }
  let tail = 0;
  while (
    tail < a.length - head &&
    tail < b.length - head &&
    a[a.length - 1 - tail] === b[b.length - 1 - tail]
  ) {
    tail++;
  }
  const out: IDiffLine[] = [];
  for (let i = 0; i < head; i++) {
    out.push({ kind: 'same', text: a[i], oldNo: i + 1, newNo: i + 1 });
  }
  const midA = a.slice(head, a.length - tail);
  const midB = b.slice(head, b.length - tail);
  for (const line of middle(midA, midB)) {
    out.push({
      ...line,
      oldNo: line.oldNo === null ? null : line.oldNo + head,
      newNo: line.newNo === null ? null : line.newNo + head
    });
  }
  for (let i = tail; i > 0; i--) {
    const oldNo = a.length - i + 1;
    const newNo = b.length - i + 1;
    out.push({ kind: 'same', text: a[oldNo - 1], oldNo, newNo });
  }
  return out;
}

function middle(a: string[], b: string[]): IDiffLine[] {
  const n = a.length;
  const m = b.length;
  if (n === 0 || m === 0 || n * m > MAX_TABLE) {
    return [
      ...a.map((text, i) => ({
        kind: 'del' as const,
        text,
        oldNo: i + 1,
        newNo: null
      })),
      ...b.map((text, j) => ({
        kind: 'add' as const,
        text,
        oldNo: null,
        newNo: j + 1
      }))
    ];
  }
  // lcs[i][j]: length of the LCS of a[i:] and b[j:], row-major in one array.
  const width = m + 1;
  const lcs = new Uint32Array((n + 1) * width);
  for (let i = n - 1; i >= 0; i--) {
    for (let j = m - 1; j >= 0; j--) {
      lcs[i * width + j] =
        a[i] === b[j]
          ? lcs[(i + 1) * width + j + 1] + 1
          : Math.max(lcs[(i + 1) * width + j], lcs[i * width + j + 1]);
    }
  }
  const out: IDiffLine[] = [];
  let i = 0;
  let j = 0;
  while (i < n && j < m) {
    if (a[i] === b[j]) {
      out.push({ kind: 'same', text: a[i], oldNo: i + 1, newNo: j + 1 });
      i++;
      j++;
    } else if (lcs[(i + 1) * width + j] >= lcs[i * width + j + 1]) {
      out.push({ kind: 'del', text: a[i], oldNo: i + 1, newNo: null });
      i++;
    } else {
      out.push({ kind: 'add', text: b[j], oldNo: null, newNo: j + 1 });
      j++;
    }
  }
  for (; i < n; i++) {
    out.push({ kind: 'del', text: a[i], oldNo: i + 1, newNo: null });
  }
  for (; j < m; j++) {
    out.push({ kind: 'add', text: b[j], oldNo: null, newNo: j + 1 });
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
