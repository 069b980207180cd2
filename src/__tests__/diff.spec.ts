import { diffLines, diffStats, splitLines, withContext } from '../diff';

describe('diffLines', () => {
  it('marks added, removed and kept lines with their numbers', () => {
    const lines = diffLines('a\nb\nc\n', 'a\nB\nc\nd\n');
    expect(lines.map(l => `${l.kind}:${l.text}:${l.oldNo}:${l.newNo}`)).toEqual(
      [
        'same:a:1:1',
        'del:b:2:null',
        'add:B:null:2',
        'same:c:3:3',
        'add:d:null:4'
      ]
    );
    expect(diffStats(lines)).toEqual({ added: 2, removed: 1 });
  });

  it('is empty of changes for equal texts and handles empty sides', () => {
    expect(diffLines('x\ny', 'x\ny').every(l => l.kind === 'same')).toBe(true);
    expect(diffLines('', 'a\nb').map(l => l.kind)).toEqual(['add', 'add']);
    expect(diffLines('a', '').map(l => l.kind)).toEqual(['del']);
    expect(splitLines('a\r\nb\r\n')).toEqual(['a', 'b']);
  });

  it('finds a minimal diff in the middle (LCS)', () => {
    const before = ['import x', 'a = 1', 'b = 2', 'c = 3', 'print(a)'].join(
      '\n'
    );
    const after = ['import x', 'b = 2', 'c = 3', 'd = 4', 'print(a)'].join(
      '\n'
    );
    const stats = diffStats(diffLines(before, after));
    expect(stats).toEqual({ added: 1, removed: 1 });
  });

  it('collapses long unchanged runs, keeping context', () => {
    const before = Array.from({ length: 20 }, (_, i) => `l${i}`).join('\n');
    const after = before.replace('l10', 'L10');
    const items = withContext(diffLines(before, after), 2);
    expect(items[0]).toEqual({ kind: 'skip', count: 8 });
    expect(items.filter(i => i.kind !== 'skip')).toHaveLength(6);
    expect(items[items.length - 1]).toEqual({ kind: 'skip', count: 7 });
  });

  it('diffs long scripts minimally (no give-up past a table size)', () => {
    // 6,000 x 6,000 lines: an LCS table would need 36M cells; Myers only walks the changes.
    const before = Array.from({ length: 6000 }, (_, i) => `line ${i}`).join(
      '\n'
    );
    const after = Array.from({ length: 6000 }, (_, i) =>
      i % 50 === 0 ? `changed ${i}` : `line ${i}`
    ).join('\n');
    const lines = diffLines(before, after);
    expect(diffStats(lines)).toEqual({ added: 120, removed: 120 });
    const changed = lines.find(l => l.kind === 'add' && l.newNo === 51);
    expect(changed?.text).toBe('changed 50');
  });
});
