/**
 * Tree building and live-event application, without the DOM.
 */
import { INodeSummary } from '../tokens';
import { chartData } from '../chart';
import { displayState, mergeNode, SearchTree } from '../tree';
import { nodeSummary } from './summaries';

function node(
  id: string,
  step: number,
  parent: string | null,
  extra: Partial<INodeSummary> = {}
): INodeSummary {
  return nodeSummary(id, step, parent, { is_buggy: true, ...extra });
}

function good(id: string, step: number, parent: string | null, metric: number) {
  return node(id, step, parent, { metric, is_buggy: false });
}

describe('SearchTree', () => {
  it('builds the tree from parent_id, children in step order', () => {
    const tree = new SearchTree([
      good('a', 0, null, 0.9),
      node('b', 1, null),
      good('c', 3, 'a', 0.95),
      good('d', 2, 'a', 0.91)
    ]);
    expect(tree.roots()).toEqual(['a', 'b']);
    expect(tree.children('a')).toEqual(['d', 'c']);
    expect(tree.rows(new Set()).map(r => [r.id, r.depth])).toEqual([
      ['a', 0],
      ['d', 1],
      ['c', 1],
      ['b', 0]
    ]);
  });

  it('finds the best node and the path to it, in the search direction', () => {
    const nodes = [
      good('a', 0, null, 0.5),
      good('b', 1, 'a', 0.3),
      good('c', 2, 'b', 0.7),
      node('x', 3, 'c', { metric: 0.99, is_buggy: true })
    ];
    const higher = new SearchTree(nodes, false);
    expect(higher.bestId).toBe('c');
    expect(Array.from(higher.bestPath)).toEqual(['a', 'b', 'c']);
    const lower = new SearchTree(nodes, true);
    expect(lower.bestId).toBe('b');
    expect(Array.from(lower.bestPath)).toEqual(['a', 'b']);
  });

  it('keeps the earlier node on a tie', () => {
    const tree = new SearchTree([good('a', 0, null, 1), good('b', 1, null, 1)]);
    expect(tree.bestId).toBe('a');
  });

  it('skips collapsed subtrees and marks rows', () => {
    const tree = new SearchTree([
      good('a', 0, null, 1),
      good('b', 1, 'a', 1),
      good('c', 2, 'b', 1)
    ]);
    const rows = tree.rows(new Set(['b']));
    expect(rows.map(r => r.id)).toEqual(['a', 'b']);
    expect(rows[1]).toEqual({
      id: 'b',
      depth: 1,
      hasChildren: true,
      expanded: false
    });
  });

  it('applies live node events: new nodes, status changes, a new best', () => {
    const tree = new SearchTree([good('a', 0, null, 0.8)], false);
    const v0 = tree.version;
    expect(
      tree.upsert(node('b', 1, 'a', { status: 'queued', is_buggy: null }))
    ).toBe(true);
    expect(
      tree.upsert(node('b', 1, 'a', { status: 'running', is_buggy: null }))
    ).toBe(true);
    expect(displayState(tree.get('b')!)).toBe('running');
    expect(tree.bestId).toBe('a');
    expect(tree.upsert(good('b', 1, 'a', 0.9))).toBe(true);
    expect(tree.bestId).toBe('b');
    expect(Array.from(tree.bestPath)).toEqual(['a', 'b']);
    expect(tree.version).toBeGreaterThan(v0);
  });

  it('ignores a stale event that would move a finished node back to running', () => {
    const tree = new SearchTree([good('a', 0, null, 0.8)]);
    const v = tree.version;
    expect(
      tree.upsert(node('a', 0, null, { status: 'running', is_buggy: null }))
    ).toBe(false);
    expect(tree.get('a')!.status).toBe('done');
    expect(tree.version).toBe(v);
    expect(tree.upsert(good('a', 0, null, 0.8))).toBe(false);
  });

  it('holds a child whose parent is not known yet as a root, then attaches it', () => {
    const tree = new SearchTree([good('c', 2, 'p', 0.9)]);
    expect(tree.roots()).toEqual(['c']);
    tree.upsert(good('p', 1, null, 0.5));
    expect(tree.roots()).toEqual(['p']);
    expect(tree.children('p')).toEqual(['c']);
    expect(Array.from(tree.bestPath)).toEqual(['p', 'c']);
  });

  it('recomputes the best when the best node turns out buggy, or the direction is fixed', () => {
    const tree = new SearchTree([
      good('a', 0, null, 0.2),
      good('b', 1, null, 0.6)
    ]);
    expect(tree.bestId).toBe('b');
    tree.upsert(node('b', 1, null, { metric: 0.6, is_buggy: true }));
    expect(tree.bestId).toBe('a');
    tree.upsert(good('c', 2, null, 0.1));
    expect(tree.bestId).toBe('a');
    tree.setLowerIsBetter(true);
    expect(tree.bestId).toBe('c');
  });

  it('shows statuses: queued, running, good, buggy, timed out, LLM error', () => {
    expect(displayState(node('a', 0, null, { status: 'queued' }))).toBe(
      'queued'
    );
    expect(displayState(good('a', 0, null, 1))).toBe('good');
    expect(displayState(node('a', 0, null, { exc_type: 'ValueError' }))).toBe(
      'buggy'
    );
    expect(displayState(node('a', 0, null, { exit_cause: 'timeout' }))).toBe(
      'timeout'
    );
    expect(
      displayState(
        node('a', 0, null, { status: 'failed', error: 'LLM: rate limited' })
      )
    ).toBe('error');
  });

  it('mergeNode: finished stays finished, running may go back to queued', () => {
    const node = (status: any) =>
      ({ id: 'a', step: 0, stage: 'draft', status }) as any;
    expect(mergeNode(node('done'), node('running')).status).toBe('done');
    expect(mergeNode(node('failed'), node('queued')).status).toBe('failed');
    expect(mergeNode(node('running'), node('queued')).status).toBe('queued');
  });

  it('mergeNode keeps fields not in the newer report', () => {
    const merged = mergeNode(
      node('a', 0, null, { plan_head: 'plan' }),
      node('a', 0, null, { metric: 2 })
    );
    expect(merged.plan_head).toBe('plan');
    expect(merged.metric).toBe(2);
  });

  it('gives chart points and the best-so-far line', () => {
    const tree = new SearchTree(
      [
        good('a', 0, null, 0.5),
        node('x', 1, null),
        good('b', 2, 'a', 0.4),
        good('c', 3, 'a', 0.7)
      ],
      false
    );
    const { points, bestSoFar } = chartData(tree);
    expect(points.map(p => p.id)).toEqual(['a', 'b', 'c']);
    expect(points.find(p => p.best)!.id).toBe('c');
    expect(bestSoFar.map(p => p.metric)).toEqual([0.5, 0.5, 0.7]);
  });

  it('handles 1,000 nodes, a 1,000-deep chain and 1,000 live events', () => {
    // Timings of the same work: benchmarks/panel_tree.bench.ts (not asserted here).
    const nodes: INodeSummary[] = [];
    for (let i = 0; i < 1000; i++) {
      const parent = i < 5 ? null : `n${Math.floor(i / 3)}`;
      nodes.push(good(`n${i}`, i, parent, Math.sin(i)));
    }
    // A 1,000-deep chain too: the walk is iterative (no stack overflow).
    const chain = nodes.map((n, i) => ({
      ...n,
      id: `c${i}`,
      parent_id: i ? `c${i - 1}` : null
    }));
    const tree = new SearchTree(nodes, false);
    expect(tree.rows(new Set())).toHaveLength(1000);
    const chainRows = new SearchTree(chain, false).rows(new Set());
    expect(chainRows).toHaveLength(1000);
    expect(chainRows[999].depth).toBe(999);
    for (let i = 0; i < 1000; i++) {
      tree.upsert(good(`e${i}`, 1000 + i, `n${i}`, Math.cos(i)));
    }
    expect(tree.size).toBe(2000);
    expect(tree.rows(new Set())).toHaveLength(2000);
  });
});
