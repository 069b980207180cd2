import { TranslationBundle } from '@jupyterlab/translation';
import * as React from 'react';

import { AideModel } from '../model';
import { chartData } from '../chart';
import { formatMetric, useSignals } from './hooks';

const W = 300;
const H = 76;
const PAD = { left: 38, right: 8, top: 8, bottom: 18 };

/**
 * Metric by step, inline SVG: one dot per good node, the best-so-far as a step line. Clicking a
 * dot selects its node. Scales to the panel's width (viewBox).
 */
export function MetricChart(props: {
  model: AideModel;
  trans: TranslationBundle;
}): JSX.Element | null {
  const { model, trans } = props;
  useSignals(model.treeChanged, model.nodeChanged);
  const tree = model.tree;
  const version = tree?.version ?? -1;
  const data = React.useMemo(
    () => (tree ? chartData(tree) : null),
    [tree, version]
  );
  if (!tree || !data) {
    return null;
  }
  if (data.points.length === 0) {
    return (
      <div className="jp-aide-chart jp-aide-muted" data-points={0}>
        {trans.__('The chart shows good nodes once some have a metric.')}
      </div>
    );
  }
  const steps = data.points.map(p => p.step);
  const metrics = data.points.map(p => p.metric);
  const x0 = Math.min(...steps);
  const x1 = Math.max(...steps, x0 + 1);
  let y0 = Math.min(...metrics);
  let y1 = Math.max(...metrics);
  if (y0 === y1) {
    y0 -= 0.5 * Math.abs(y0 || 1);
    y1 += 0.5 * Math.abs(y1 || 1);
  }
  const sx = (s: number) =>
    PAD.left + ((s - x0) / (x1 - x0)) * (W - PAD.left - PAD.right);
  const sy = (m: number) =>
    PAD.top + (1 - (m - y0) / (y1 - y0)) * (H - PAD.top - PAD.bottom);
  let line = '';
  data.bestSoFar.forEach((p, i) => {
    line +=
      i === 0
        ? `M${sx(p.step)},${sy(p.metric)}`
        : `H${sx(p.step)}V${sy(p.metric)}`;
  });
  line += `H${sx(x1)}`;
  const selected = model.selectedNodeId;
  return (
    <svg
      className="jp-aide-chart"
      viewBox={`0 0 ${W} ${H}`}
      role="img"
      aria-label={trans.__('Metric by step')}
      data-points={data.points.length}
    >
      <line
        className="jp-aide-axis"
        x1={PAD.left}
        y1={H - PAD.bottom}
        x2={W - PAD.right}
        y2={H - PAD.bottom}
      />
      <line
        className="jp-aide-axis"
        x1={PAD.left}
        y1={PAD.top}
        x2={PAD.left}
        y2={H - PAD.bottom}
      />
      <text
        className="jp-aide-tick"
        x={PAD.left - 3}
        y={PAD.top + 6}
        textAnchor="end"
      >
        {formatMetric(y1)}
      </text>
      <text
        className="jp-aide-tick"
        x={PAD.left - 3}
        y={H - PAD.bottom}
        textAnchor="end"
      >
        {formatMetric(y0)}
      </text>
      <text className="jp-aide-tick" x={PAD.left} y={H - 4}>
        {trans.__('step %1', x0)}
      </text>
      <text
        className="jp-aide-tick"
        x={W - PAD.right}
        y={H - 4}
        textAnchor="end"
      >
        {x1}
      </text>
      <path className="jp-aide-best-line" d={line} />
      {data.points.map(p => (
        <circle
          key={p.id}
          className={`jp-aide-dot${p.best ? ' jp-aide-dot-best' : ''}${p.id === selected ? ' jp-mod-selected' : ''}`}
          data-node-id={p.id}
          cx={sx(p.step)}
          cy={sy(p.metric)}
          r={p.best || p.id === selected ? 4 : 3}
          onClick={() => void model.selectNode(p.id)}
        >
          <title>{`#${p.step}: ${formatMetric(p.metric)}`}</title>
        </circle>
      ))}
    </svg>
  );
}
