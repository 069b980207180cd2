/** The metric-by-step chart's data: good nodes as points and the best-so-far line. */
import { better, isGood } from './nodes';
import { SearchTree } from './tree';

/** One point of the metric-by-step chart. */
export interface IChartPoint {
  id: string;
  step: number;
  metric: number;
  best: boolean;
}

/** Good nodes as points and the best-so-far line, in step order. */
export function chartData(tree: SearchTree): {
  points: IChartPoint[];
  bestSoFar: Array<{ step: number; metric: number }>;
} {
  const lower = tree.direction;
  const good = tree
    .nodes()
    .filter(isGood)
    .sort((a, b) => a.step - b.step);
  const points: IChartPoint[] = [];
  const bestSoFar: Array<{ step: number; metric: number }> = [];
  let best: number | null = null;
  for (const node of good) {
    const metric = node.metric!;
    if (best === null || better(metric, best, lower)) {
      best = metric;
    }
    points.push({
      id: node.id,
      step: node.step,
      metric,
      best: node.id === tree.bestId
    });
    bestSoFar.push({ step: node.step, metric: best });
  }
  return { points, bestSoFar };
}
