import { TranslationBundle } from '@jupyterlab/translation';
import {
  bugIcon,
  caretDownIcon,
  caretRightIcon,
  checkIcon,
  circleEmptyIcon,
  errorIcon,
  historyIcon,
  LabIcon
} from '@jupyterlab/ui-components';
import * as React from 'react';

import { AideModel } from '../model';
import { INodeSummary, NodeDisplayState } from '../tokens';
import { displayState, ITreeRow } from '../tree';
import { formatMetric, useSignals } from './hooks';

/** Height of one row, in pixels (fixed, so the list can be windowed). */
export const ROW_HEIGHT = 24;
/** Rows rendered above and below the visible window. */
const OVERSCAN = 8;

const ICONS: Record<Exclude<NodeDisplayState, 'running'>, LabIcon> = {
  queued: circleEmptyIcon,
  good: checkIcon,
  buggy: bugIcon,
  timeout: historyIcon,
  error: errorIcon
};

/** The icon of a node's state; running is a CSS spinner. */
export function StatusIcon(props: {
  state: NodeDisplayState;
  label: string;
}): JSX.Element {
  if (props.state === 'running') {
    return (
      <span
        className="jp-aide-spinner"
        role="img"
        aria-label={props.label}
        title={props.label}
      />
    );
  }
  const Icon = ICONS[props.state];
  return (
    <span
      className="jp-aide-status-icon"
      role="img"
      aria-label={props.label}
      title={props.label}
    >
      <Icon.react tag="span" width="14px" height="14px" />
    </span>
  );
}

export function stateLabel(
  state: NodeDisplayState,
  trans: TranslationBundle
): string {
  switch (state) {
    case 'queued':
      return trans.__('queued');
    case 'running':
      return trans.__('running');
    case 'good':
      return trans.__('good');
    case 'buggy':
      return trans.__('buggy');
    case 'timeout':
      return trans.__('timed out');
    case 'error':
      return trans.__('error');
  }
}

function RowView(props: {
  row: ITreeRow;
  node: INodeSummary;
  top: number;
  selected: boolean;
  best: boolean;
  onPath: boolean;
  trans: TranslationBundle;
  onSelect: (id: string) => void;
  onToggle: (id: string) => void;
}): JSX.Element {
  const { row, node, trans } = props;
  const state = displayState(node);
  const label = stateLabel(state, trans);
  const classes = ['jp-aide-node'];
  if (props.selected) {
    classes.push('jp-mod-selected');
  }
  if (props.onPath) {
    classes.push('jp-aide-on-best-path');
  }
  if (props.best) {
    classes.push('jp-aide-best');
  }
  return (
    <div
      id={`jp-aide-node-${node.id}`}
      className={classes.join(' ')}
      role="treeitem"
      aria-level={row.depth + 1}
      aria-selected={props.selected}
      aria-expanded={row.hasChildren ? row.expanded : undefined}
      data-node-id={node.id}
      data-state={state}
      style={{
        top: props.top,
        height: ROW_HEIGHT,
        paddingLeft: 4 + row.depth * 14
      }}
      onClick={() => props.onSelect(node.id)}
    >
      <span
        className="jp-aide-caret"
        onClick={e => {
          e.stopPropagation();
          if (row.hasChildren) {
            props.onToggle(node.id);
          }
        }}
      >
        {row.hasChildren ? (
          row.expanded ? (
            <caretDownIcon.react tag="span" width="12px" height="12px" />
          ) : (
            <caretRightIcon.react tag="span" width="12px" height="12px" />
          )
        ) : null}
      </span>
      <StatusIcon state={state} label={label} />
      <span className="jp-aide-node-step">#{node.step}</span>
      {node.stage === 'seed' ? (
        <span
          className="jp-aide-node-stage jp-aide-node-seed"
          title={trans.__('The root: your own code')}
        >
          {trans.__('your code')}
        </span>
      ) : (
        <span className="jp-aide-node-stage">{node.stage}</span>
      )}
      <span className="jp-aide-node-metric">{formatMetric(node.metric)}</span>
      {node.metric_source === 'harness' ? (
        <span
          className="jp-aide-node-reported jp-aide-muted"
          title={trans.__(
            'the node reported this; the metric is its holdout score'
          )}
        >
          {formatMetric(node.reported_metric ?? null)}
        </span>
      ) : null}
      {node.metric_flag ? (
        <span className="jp-aide-flag" title={node.metric_flag}>
          ⚠
        </span>
      ) : null}
      {props.best ? (
        <span className="jp-aide-best-mark" title={trans.__('best node')}>
          ★
        </span>
      ) : null}
      {node.error ? (
        <span className="jp-aide-node-error" title={node.error}>
          !
        </span>
      ) : null}
    </div>
  );
}

const Row = React.memo(RowView);

/**
 * The tree of the selected search, windowed: only the rows in view (plus a margin) are in the
 * DOM, so 1,000 nodes render as fast as 30. Arrow keys move the selection, Left/Right collapse and
 * expand, Home/End jump, Space toggles.
 */
export function TreeView(props: {
  model: AideModel;
  trans: TranslationBundle;
}): JSX.Element {
  const { model, trans } = props;
  useSignals(model.treeChanged, model.nodeChanged);
  const viewport = React.useRef<HTMLDivElement>(null);
  const [scrollTop, setScrollTop] = React.useState(0);
  const [height, setHeight] = React.useState(400);

  React.useEffect(() => {
    const el = viewport.current;
    if (!el) {
      return;
    }
    const observer = new ResizeObserver(() =>
      setHeight(el.clientHeight || 400)
    );
    observer.observe(el);
    setHeight(el.clientHeight || 400);
    return () => observer.disconnect();
  }, [model.tree !== null && (model.tree?.size ?? 0) > 0]);

  const tree = model.tree;
  const rows = tree ? tree.rows(model.collapsed) : [];
  const selectedId = model.selectedNodeId;
  const selectedIndex = selectedId
    ? rows.findIndex(r => r.id === selectedId)
    : -1;

  // Keep the selected row in view.
  React.useEffect(() => {
    const el = viewport.current;
    if (!el || selectedIndex < 0) {
      return;
    }
    const top = selectedIndex * ROW_HEIGHT;
    if (top < el.scrollTop) {
      el.scrollTop = top;
    } else if (top + ROW_HEIGHT > el.scrollTop + el.clientHeight) {
      el.scrollTop = top + ROW_HEIGHT - el.clientHeight;
    }
  }, [selectedIndex]);

  const onSelect = React.useCallback(
    (id: string) => void model.selectNode(id),
    [model]
  );
  const onToggle = React.useCallback(
    (id: string) => model.toggleCollapsed(id),
    [model]
  );

  if (!model.selectedSearch) {
    return (
      <div className="jp-aide-empty jp-aide-muted">
        {trans.__('Select a search to see its tree.')}
      </div>
    );
  }
  if (!tree) {
    return (
      <div className="jp-aide-empty jp-aide-muted">
        {trans.__('Loading the tree…')}
      </div>
    );
  }
  if (rows.length === 0) {
    return (
      <div className="jp-aide-empty jp-aide-muted" data-state="no-nodes">
        {trans.__('No nodes yet: the first drafts appear here as they run.')}
      </div>
    );
  }

  const onKeyDown = (e: React.KeyboardEvent) => {
    const current = selectedIndex;
    const move = (index: number) => {
      const i = Math.max(0, Math.min(rows.length - 1, index));
      void model.selectNode(rows[i].id);
    };
    const row = current >= 0 ? rows[current] : null;
    const page = Math.max(1, Math.floor(height / ROW_HEIGHT) - 1);
    switch (e.key) {
      case 'ArrowDown':
        move(current + 1);
        break;
      case 'ArrowUp':
        move(current < 0 ? 0 : current - 1);
        break;
      case 'PageDown':
        move(current + page);
        break;
      case 'PageUp':
        move(current - page);
        break;
      case 'Home':
        move(0);
        break;
      case 'End':
        move(rows.length - 1);
        break;
      case 'ArrowRight':
        if (!row) {
          move(0);
        } else if (row.hasChildren && !row.expanded) {
          model.toggleCollapsed(row.id, false);
        } else if (row.hasChildren) {
          move(current + 1);
        }
        break;
      case 'ArrowLeft':
        if (row && row.hasChildren && row.expanded) {
          model.toggleCollapsed(row.id, true);
        } else if (row) {
          const parent = tree.get(row.id)?.parent_id;
          if (parent && tree.get(parent)) {
            void model.selectNode(parent);
          }
        }
        break;
      case ' ':
        if (row?.hasChildren) {
          model.toggleCollapsed(row.id);
        }
        break;
      default:
        return;
    }
    e.preventDefault();
    e.stopPropagation();
  };

  const first = Math.max(0, Math.floor(scrollTop / ROW_HEIGHT) - OVERSCAN);
  const last = Math.min(
    rows.length,
    Math.ceil((scrollTop + height) / ROW_HEIGHT) + OVERSCAN
  );
  const visible: JSX.Element[] = [];
  for (let i = first; i < last; i++) {
    const row = rows[i];
    const node = tree.get(row.id)!;
    visible.push(
      <Row
        key={row.id}
        row={row}
        node={node}
        top={i * ROW_HEIGHT}
        selected={row.id === selectedId}
        best={row.id === tree.bestId}
        onPath={tree.bestPath.has(row.id)}
        trans={trans}
        onSelect={onSelect}
        onToggle={onToggle}
      />
    );
  }
  return (
    <div
      ref={viewport}
      className="jp-aide-tree"
      role="tree"
      tabIndex={0}
      aria-label={trans.__('Search tree')}
      aria-activedescendant={
        selectedId ? `jp-aide-node-${selectedId}` : undefined
      }
      data-rows={rows.length}
      onScroll={e => setScrollTop((e.target as HTMLDivElement).scrollTop)}
      onKeyDown={onKeyDown}
    >
      <div
        className="jp-aide-tree-inner"
        style={{ height: rows.length * ROW_HEIGHT }}
      >
        {visible}
      </div>
    </div>
  );
}
