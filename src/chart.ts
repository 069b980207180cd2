/** The metric-by-step chart: its data (good nodes, best-so-far) and its geometry (in pixels). */
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

/** A text label of the chart: where it is anchored and the box it covers (for overlap checks). */
export interface IChartLabel {
  text: string;
  x: number;
  y: number;
  anchor: 'start' | 'end';
  box: { x0: number; y0: number; x1: number; y1: number };
}

/** Everything the chart draws, in the pixels of an SVG `width` x `height` wide. */
export interface IChartLayout {
  width: number;
  height: number;
  /** The axes' corner (left, bottom) and their ends (right, top). */
  axes: { left: number; right: number; top: number; bottom: number };
  labels: IChartLabel[];
  x: (step: number) => number;
  y: (metric: number) => number;
  /** The radius of a dot; the best and the selected dot get `radius + 1`. */
  radius: number;
}

/** Tick labels are drawn at this size (the theme's smallest UI font, ~11 px). */
export const CHART_FONT_PX = 11;
const CHAR_PX = CHART_FONT_PX * 0.62;
const RADIUS = 3.5;
/** Dots keep this far from the axes, so no dot ever sits on an axis or a label. */
const INSET = RADIUS + 3;

/**
 * Where the axes, labels and dots go for a chart `width` pixels wide: labels sit outside the plot
 * (left of the y axis, under the x axis), dots inside it, so the best dot never covers a label.
 */
export function chartLayout(
  steps: number[],
  metrics: number[],
  format: (value: number) => string,
  stepLabel: (step: number) => string,
  width: number,
  height = 80
): IChartLayout {
  const x0 = Math.min(...steps);
  const x1 = Math.max(...steps, x0 + 1);
  let y0 = Math.min(...metrics);
  let y1 = Math.max(...metrics);
  if (y0 === y1) {
    // One value (every node alike): a narrow band around it, so an accuracy of 0.96 does not
    // get an axis running to 1.44.
    const pad = 0.01 * Math.abs(y0 || 1);
    y0 -= pad;
    y1 += pad;
  }
  const top = format(y1);
  const low = format(y0);
  const left = Math.ceil(Math.max(top.length, low.length) * CHAR_PX) + 6;
  const bottom = height - CHART_FONT_PX - 6;
  const axes = { left, right: width - 4, top: 4, bottom };
  const plot = {
    x0: axes.left + INSET,
    x1: axes.right - INSET,
    y0: axes.top + INSET,
    y1: axes.bottom - INSET
  };
  const x = (s: number) =>
    plot.x0 + ((s - x0) / (x1 - x0)) * (plot.x1 - plot.x0);
  const y = (m: number) =>
    plot.y0 + (1 - (m - y0) / (y1 - y0)) * (plot.y1 - plot.y0);
  const label = (
    text: string,
    lx: number,
    baseline: number,
    anchor: 'start' | 'end'
  ): IChartLabel => {
    const w = text.length * CHAR_PX;
    const bx0 = anchor === 'end' ? lx - w : lx;
    return {
      text,
      x: lx,
      y: baseline,
      anchor,
      box: { x0: bx0, y0: baseline - CHART_FONT_PX, x1: bx0 + w, y1: baseline }
    };
  };
  const under = height - 3;
  const first = stepLabel(x0);
  const labels = [
    label(top, axes.left - 3, y(y1) + CHART_FONT_PX / 2 - 1, 'end'),
    label(low, axes.left - 3, y(y0) + CHART_FONT_PX / 2 - 1, 'end'),
    label(first, x(x0), under, 'start')
  ];
  // The last step's label, unless the first one already reaches it.
  const end = String(x1);
  if (labels[2].box.x1 + 6 < x(x1) - end.length * CHAR_PX) {
    labels.push(label(end, Math.min(x(x1) + INSET, axes.right), under, 'end'));
  }
  return { width, height, axes, labels, x, y, radius: RADIUS };
}
