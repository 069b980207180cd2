import { IEditorServices } from '@jupyterlab/codeeditor';
import { TranslationBundle } from '@jupyterlab/translation';
import { CommandRegistry } from '@lumino/commands';
import * as React from 'react';

import { CommandIDs } from '../commands';
import { diffLines, diffStats, withContext } from '../diff';
import { AideModel } from '../model';
import { INodeDetail } from '../tokens';
import { displayState } from '../tree';
import { CodeView } from './CodeView';
import { formatMetric, formatSeconds, useSignals } from './hooks';
import { StatusIcon, stateLabel } from './TreeView';

/** The node against its parent, line by line, unchanged runs folded. */
export function DiffView(props: {
  before: string;
  after: string;
  trans: TranslationBundle;
}): JSX.Element {
  const { before, after, trans } = props;
  const lines = React.useMemo(() => diffLines(before, after), [before, after]);
  const stats = diffStats(lines);
  const items = withContext(lines, 3);
  if (stats.added === 0 && stats.removed === 0) {
    return (
      <div className="jp-aide-muted">
        {trans.__('Same code as the parent.')}
      </div>
    );
  }
  return (
    <div
      className="jp-aide-diff"
      data-added={stats.added}
      data-removed={stats.removed}
    >
      <div className="jp-aide-diff-stats">
        <span className="jp-aide-diff-add">+{stats.added}</span>{' '}
        <span className="jp-aide-diff-del">−{stats.removed}</span>
      </div>
      <pre>
        {items.map((item, k) =>
          item.kind === 'skip' ? (
            <div key={k} className="jp-aide-diff-skip">
              {trans.__('… %1 unchanged lines', item.count)}
            </div>
          ) : (
            <div
              key={k}
              className={`jp-aide-diff-line jp-aide-diff-${item.kind}`}
            >
              <span className="jp-aide-diff-sign">
                {item.kind === 'add' ? '+' : item.kind === 'del' ? '-' : ' '}
              </span>
              {item.text}
            </div>
          )
        )}
      </pre>
    </div>
  );
}

function ForkForm(props: {
  node: INodeDetail;
  commands: CommandRegistry;
  editorServices: IEditorServices | null;
  trans: TranslationBundle;
}): JSX.Element {
  const { trans } = props;
  const [mode, setMode] = React.useState<'instruction' | 'code'>('instruction');
  const [instruction, setInstruction] = React.useState('');
  const code = React.useRef(props.node.code);
  const submit = async (e: React.FormEvent) => {
    e.preventDefault();
    const args =
      mode === 'instruction'
        ? { instruction: instruction.trim() }
        : { code: code.current };
    await props.commands.execute(CommandIDs.fork, args);
    setInstruction('');
  };
  return (
    <form className="jp-aide-fork" onSubmit={submit}>
      <div className="jp-aide-row">
        <label>
          <input
            type="radio"
            name="fork-mode"
            checked={mode === 'instruction'}
            onChange={() => setMode('instruction')}
          />
          {trans.__('Instruction')}
        </label>
        <label>
          <input
            type="radio"
            name="fork-mode"
            checked={mode === 'code'}
            onChange={() => setMode('code')}
          />
          {trans.__('Edit the code')}
        </label>
      </div>
      {mode === 'instruction' ? (
        <textarea
          className="jp-mod-styled"
          name="instruction"
          rows={2}
          value={instruction}
          placeholder={trans.__('e.g. try gradient boosting with 300 trees')}
          onChange={e => setInstruction(e.target.value)}
        />
      ) : (
        <CodeView
          source={props.node.code}
          editorServices={props.editorServices}
          editable
          onChange={src => (code.current = src)}
        />
      )}
      <button
        type="submit"
        className="jp-mod-styled jp-mod-accept"
        disabled={mode === 'instruction' && !instruction.trim()}
      >
        {trans.__('Fork: run as a child node')}
      </button>
    </form>
  );
}

/** Plan, review, numbers, the code as cells (tick to cherry-pick), output, diff, actions. */
export function NodeDetail(props: {
  model: AideModel;
  commands: CommandRegistry;
  editorServices: IEditorServices | null;
  trans: TranslationBundle;
}): JSX.Element {
  const { model, commands, trans } = props;
  useSignals(model.nodeChanged, model.treeChanged);
  const detail = model.detail;
  const summary = model.selectedNode;
  if (detail.kind === 'none' || !summary) {
    return (
      <div className="jp-aide-empty jp-aide-muted">
        {trans.__('Select a node in the tree or the chart.')}
      </div>
    );
  }
  if (detail.kind === 'loading') {
    return (
      <div className="jp-aide-empty jp-aide-muted">
        {trans.__('Loading node…')}
      </div>
    );
  }
  if (detail.kind === 'error') {
    return <div className="jp-aide-error">{detail.message}</div>;
  }
  const node = detail.node;
  const state = displayState(summary);
  const picked = model.pickedCells;
  const button = (id: string, label: string, disabled = false) => (
    <button
      className="jp-mod-styled jp-aide-action"
      data-command={id}
      disabled={disabled || !commands.isEnabled(id)}
      onClick={() => void commands.execute(id)}
    >
      {label}
    </button>
  );
  return (
    <div className="jp-aide-detail" data-node-id={node.id} data-state={state}>
      <div className="jp-aide-detail-head">
        <StatusIcon state={state} label={stateLabel(state, trans)} />
        <strong>
          #{node.step} {node.stage}
        </strong>
        {node.stage === 'seed' ? (
          <span className="jp-aide-seed-mark">{trans.__('your code')}</span>
        ) : null}
        <span>{stateLabel(state, trans)}</span>
        {summary.id === model.tree?.bestId ? (
          <span className="jp-aide-best-mark">★ {trans.__('best')}</span>
        ) : null}
      </div>
      {summary.error ? (
        <div className="jp-aide-error jp-aide-node-error-text" role="alert">
          {trans.__('Error: %1', summary.error)}
        </div>
      ) : null}
      <dl className="jp-aide-facts">
        <dt>{trans.__('Metric')}</dt>
        <dd className="jp-aide-detail-metric">
          {formatMetric(summary.metric)}
          {metricSourceNote(summary.metric_source, trans)}
        </dd>
        {summary.metric_source === 'harness' ||
        summary.holdout_error ||
        (summary.reported_metric !== undefined &&
          summary.reported_metric !== null) ? (
          <>
            <dt>{trans.__('Reported')}</dt>
            <dd className="jp-aide-detail-reported">
              {formatMetric(summary.reported_metric ?? null)}
              {summary.metric_flag ? (
                <span
                  className="jp-aide-flag"
                  role="note"
                  title={summary.metric_flag}
                >
                  {' ⚠ '}
                  {trans.__('far better than its holdout score')}
                </span>
              ) : null}
            </dd>
          </>
        ) : null}
        {summary.holdout_error ? (
          <>
            <dt>{trans.__('Holdout')}</dt>
            <dd className="jp-aide-error">{summary.holdout_error}</dd>
          </>
        ) : null}
        <dt>{trans.__('Time')}</dt>
        <dd>{formatSeconds(summary.exec_time_s)}</dd>
        <dt>{trans.__('Tokens')}</dt>
        <dd>
          {(summary.tokens_in ?? 0) + (summary.tokens_out ?? 0)}
          {summary.cost_usd ? ` · $${summary.cost_usd.toFixed(4)}` : ''}
        </dd>
        {summary.exc_type ? (
          <>
            <dt>{trans.__('Exception')}</dt>
            <dd>{summary.exc_type}</dd>
          </>
        ) : null}
        {summary.instruction ? (
          <>
            <dt>{trans.__('Instruction')}</dt>
            <dd>{summary.instruction}</dd>
          </>
        ) : null}
      </dl>
      <div className="jp-aide-actions">
        {button(
          CommandIDs.promote,
          trans.__('Promote'),
          node.cells.length === 0
        )}
        {button(
          CommandIDs.cherryPick,
          trans.__('Insert %1 ticked', picked.size),
          picked.size === 0
        )}
        {button(CommandIDs.copyCode, trans.__('Copy code'), !node.code)}
        {button(CommandIDs.openJournal, trans.__('Open in journal'))}
      </div>
      <details open>
        <summary>{trans.__('Plan')}</summary>
        <div className="jp-aide-text">{node.plan || trans.__('(none)')}</div>
      </details>
      <details open>
        <summary>{trans.__('Review')}</summary>
        <div className="jp-aide-text">
          {node.analysis || trans.__('(not reviewed yet)')}
        </div>
      </details>
      <details open className="jp-aide-cells">
        <summary>{trans.__('Code: %1 cells', node.cells.length)}</summary>
        {node.cells.map((cell, i) => (
          <div key={i} className="jp-aide-cell" data-cell-index={i}>
            <label className="jp-aide-pick">
              <input
                type="checkbox"
                checked={picked.has(i)}
                onChange={() => model.togglePicked(i)}
                aria-label={trans.__('Pick cell %1', i + 1)}
              />
              {trans.__('cell %1', i + 1)}
            </label>
            <CodeView source={cell} editorServices={props.editorServices} />
          </div>
        ))}
      </details>
      <details open>
        <summary>{trans.__('Output')}</summary>
        <pre className="jp-aide-output">
          {node.output || trans.__('(no output)')}
        </pre>
        {node.exc_traceback ? (
          <pre className="jp-aide-output jp-aide-traceback">
            {node.exc_traceback}
          </pre>
        ) : null}
      </details>
      <details open className="jp-aide-diff-section">
        <summary>
          {node.parent_code !== null && node.parent_code === node.seed_code
            ? trans.__('Diff against your code (the seed, its parent)')
            : trans.__('Diff against the parent')}
        </summary>
        {node.parent_code === null || node.parent_code === undefined ? (
          <div className="jp-aide-muted">
            {node.stage === 'seed'
              ? trans.__('Your own code: the root of this search.')
              : trans.__('A draft: no parent.')}
          </div>
        ) : (
          <DiffView before={node.parent_code} after={node.code} trans={trans} />
        )}
      </details>
      {node.seed_code &&
      node.stage !== 'seed' &&
      node.parent_code !== node.seed_code ? (
        <details open className="jp-aide-diff-section jp-aide-seed-diff">
          <summary>{trans.__('Diff against your code (the seed)')}</summary>
          <DiffView before={node.seed_code} after={node.code} trans={trans} />
        </details>
      ) : null}
      <details className="jp-aide-fork-section">
        <summary>{trans.__('Fork this node')}</summary>
        <ForkForm
          node={node}
          commands={commands}
          editorServices={props.editorServices}
          trans={trans}
        />
      </details>
    </div>
  );
}

/** Where the node's metric came from, in words (the journal's `metric_source`). */
function metricSourceNote(
  source: string | null | undefined,
  trans: TranslationBundle
): string {
  switch (source) {
    case 'harness':
      return ` (${trans.__('holdout')})`;
    case 'parsed':
      return ` (${trans.__('printed by the script')})`;
    case 'reported':
      return ` (${trans.__('read from the output by the review')})`;
    default:
      return source ? ` (${source})` : '';
  }
}
