/**
 * The metric chart's geometry: labels outside the plot, dots inside it, at any panel width.
 */
import { chartLayout, IChartLayout } from '../chart';

const fmt = (v: number) => Number(v.toPrecision(4)).toString();

function overlaps(
  a: { x0: number; y0: number; x1: number; y1: number },
  b: { x0: number; y0: number; x1: number; y1: number }
): boolean {
  return a.x0 < b.x1 && b.x0 < a.x1 && a.y0 < b.y1 && b.y0 < a.y1;
}

function dotBoxes(layout: IChartLayout, steps: number[], metrics: number[]) {
  const r = layout.radius + 1; // the best and the selected dot are one pixel larger
  return steps.map((s, i) => ({
    x0: layout.x(s) - r,
    y0: layout.y(metrics[i]) - r,
    x1: layout.x(s) + r,
    y1: layout.y(metrics[i]) + r
  }));
}

describe('chartLayout', () => {
  it('draws nodes of one metric in a narrow band around it', () => {
    const steps = [0, 1, 2, 3];
    const metrics = [0.9596, 0.9596, 0.9596, 0.9596];
    const layout = chartLayout(steps, metrics, fmt, s => `step ${s}`, 260);
    const values = layout.labels.slice(0, 2).map(l => Number(l.text)); // top, low
    expect(values[0]).toBeGreaterThan(values[1]);
    for (const v of values) {
      expect(Math.abs(v - 0.9596)).toBeLessThan(0.02);
    }
    const y = layout.y(0.9596);
    expect(y).toBeGreaterThan(layout.axes.top);
    expect(y).toBeLessThan(layout.axes.bottom);
  });

  for (const width of [180, 260, 420]) {
    it(`keeps every dot off every label at ${width} px`, () => {
      const steps = [0, 1, 2, 5, 9, 12];
      const metrics = [0.9579, 0.9772, 0.9632, 0.9719, 0.9772, 0.9667];
      const layout = chartLayout(steps, metrics, fmt, s => `step ${s}`, width);
      for (const dot of dotBoxes(layout, steps, metrics)) {
        for (const label of layout.labels) {
          expect(overlaps(dot, label.box)).toBe(false);
        }
        expect(dot.x0).toBeGreaterThan(layout.axes.left);
        expect(dot.x1).toBeLessThanOrEqual(width);
        expect(dot.y1).toBeLessThan(layout.axes.bottom);
      }
      for (const label of layout.labels) {
        expect(label.box.x0).toBeGreaterThanOrEqual(0);
        expect(label.box.x1).toBeLessThanOrEqual(width);
        expect(label.box.y0).toBeGreaterThanOrEqual(0);
        expect(label.box.y1).toBeLessThanOrEqual(layout.height);
      }
    });
  }

  it('labels the metric range and both ends of the steps', () => {
    const layout = chartLayout(
      [0, 29],
      [61.2, 58.57],
      fmt,
      s => `step ${s}`,
      260
    );
    expect(layout.labels.map(l => l.text)).toEqual([
      '61.2',
      '58.57',
      'step 0',
      '29'
    ]);
    // Wide labels (e.g. 1.234e+5) widen the left margin instead of running off the panel.
    const wide = chartLayout(
      [0, 1],
      [123456, 123999],
      v => v.toExponential(3),
      s => `step ${s}`,
      260
    );
    expect(wide.axes.left).toBeGreaterThan(layout.axes.left);
    expect(Math.min(...wide.labels.map(l => l.box.x0))).toBeGreaterThanOrEqual(
      0
    );
  });

  it('does not crowd the last step label into the first at one step', () => {
    const layout = chartLayout([3], [0.9], fmt, s => `step ${s}`, 180);
    const texts = layout.labels.map(l => l.text);
    expect(texts).toContain('step 3');
    const [a, b] = layout.labels.slice(2);
    if (b) {
      expect(overlaps(a.box, b.box)).toBe(false);
    }
  });
});
