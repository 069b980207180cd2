/**
 * Benchmark: the panel's tree model (SearchTree) at 10 and 1,000 nodes, side by side in one run:
 * build + rows, upserts alone (O(depth) each), and live events (upsert + the rows after each,
 * as the panel renders them: O(n) each). Prints per-node times and the 1,000 / 10 ratios (1.0 = no
 * per-node slowdown as the tree grows). The build includes making the summaries.
 *
 *   jlpm bench:panel
 */
import { INodeSummary } from '../src/tokens';
import { SearchTree } from '../src/tree';
import { nodeSummary } from '../src/__tests__/summaries';

function node(
  id: string,
  step: number,
  parent: string | null,
  metric: number
): INodeSummary {
  return nodeSummary(id, step, parent, { metric });
}

function nodes(n: number): INodeSummary[] {
  const out: INodeSummary[] = [];
  for (let i = 0; i < n; i++) {
    out.push(node(`n${i}`, i, i < 5 ? null : `n${Math.floor(i / 3)}`, Math.sin(i)));
  }
  return out;
}

/** Median milliseconds per node of `work(n)` over `runs` runs. */
function perNode(n: number, runs: number, work: (n: number) => void): number {
  const times: number[] = [];
  for (let r = 0; r < runs; r++) {
    const t0 = performance.now();
    work(n);
    times.push((performance.now() - t0) / n);
  }
  times.sort((a, b) => a - b);
  return times[Math.floor(times.length / 2)];
}

const build = (n: number) => {
  new SearchTree(nodes(n), false).rows(new Set());
};
const upserts = (n: number) => {
  const tree = new SearchTree(nodes(n), false);
  for (let i = 0; i < n; i++) {
    tree.upsert(node(`e${i}`, n + i, `n${i}`, Math.cos(i)));
  }
};
const events = (n: number) => {
  const tree = new SearchTree(nodes(n), false);
  for (let i = 0; i < n; i++) {
    tree.upsert(node(`e${i}`, n + i, `n${i}`, Math.cos(i)));
    tree.rows(new Set());
  }
};

describe('panel tree benchmark', () => {
  it('prints per-node times at 10 and 1,000 nodes', () => {
    build(1000); // warm the JIT
    const rows: string[] = [];
    for (const [name, work] of [
      ['build + rows', build],
      ['upserts only', upserts],
      ['live events', events]
    ] as const) {
      const small = perNode(10, 201, work);
      const large = perNode(1000, 11, work);
      rows.push(
        `${name.padEnd(14)} 10 nodes ${(small * 1000).toFixed(1).padStart(7)} us/node` +
          `   1,000 nodes ${(large * 1000).toFixed(1).padStart(7)} us/node` +
          `   ratio ${(large / small).toFixed(2)}x`
      );
    }
    // eslint-disable-next-line no-console -- a benchmark prints its table
    console.log(rows.join('\n'));
    expect(rows).toHaveLength(3);
  });
});
