import { TranslationBundle } from '@jupyterlab/translation';
import * as React from 'react';

import { AideModel } from '../model';
import { chartData, chartLayout } from '../chart';
import { formatMetric, useSignals, useWidth } from './hooks';

/**
 * Metric by step, inline SVG drawn at the panel's real width (so labels keep their size): one
 * dot per good node, the best-so-far as a step line. Clicking a dot selects its node.
 */
export function MetricChart(props: {
  model: AideModel;
  trans: TranslationBundle;
}): JSX.Element | null {
  const { model, trans } = props;
  useSignals(model.treeChanged, model.nodeChanged);
  const [ref, width] = useWidth<HTMLDivElement>(260);
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
  const layout = chartLayout(
    data.points.map(p => p.step),
    data.points.map(p => p.metric),
    formatMetric,
    step => trans.__('step %1', step),
    width
  );
  const { axes, x, y } = layout;
  let line = '';
  data.bestSoFar.forEach((p, i) => {
    line +=
      i === 0 ? `M${x(p.step)},${y(p.metric)}` : `H${x(p.step)}V${y(p.metric)}`;
  });
  line += `H${axes.right}`;
  const selected = model.selectedNodeId;
  // The best and the selected dot are drawn last, on top of their neighbours.
  const points = [...data.points].sort(
    (a, b) =>
      Number(a.best || a.id === selected) - Number(b.best || b.id === selected)
  );
  return (
    <div className="jp-aide-chart-box" ref={ref}>
      <svg
        className="jp-aide-chart"
        width={layout.width}
        height={layout.height}
        viewBox={`0 0 ${layout.width} ${layout.height}`}
        role="img"
        aria-label={trans.__('Metric by step')}
        data-points={data.points.length}
      >
        <line
          className="jp-aide-axis"
          x1={axes.left}
          y1={axes.bottom}
          x2={axes.right}
          y2={axes.bottom}
        />
        <line
          className="jp-aide-axis"
          x1={axes.left}
          y1={axes.top}
          x2={axes.left}
          y2={axes.bottom}
        />
        {layout.labels.map(label => (
          <text
            key={`${label.anchor}-${label.x}-${label.y}`}
            className="jp-aide-tick"
            x={label.x}
            y={label.y}
            textAnchor={label.anchor}
          >
            {label.text}
          </text>
        ))}
        <path className="jp-aide-best-line" d={line} />
        {points.map(p => (
          <circle
            key={p.id}
            className={`jp-aide-dot${p.best ? ' jp-aide-dot-best' : ''}${p.id === selected ? ' jp-mod-selected' : ''}`}
            data-node-id={p.id}
            cx={x(p.step)}
            cy={y(p.metric)}
            r={p.best || p.id === selected ? layout.radius + 1 : layout.radius}
            onClick={() => void model.selectNode(p.id)}
          >
            <title>{`#${p.step}: ${formatMetric(p.metric)}`}</title>
          </circle>
        ))}
      </svg>
    </div>
  );
}
