import { TranslationBundle } from '@jupyterlab/translation';
import { CommandRegistry } from '@lumino/commands';
import * as React from 'react';

import { CommandIDs } from '../commands';
import { AideModel, pausedByKernel } from '../model';
import { ISearchSummary } from '../tokens';
import { formatMetric, formatSeconds, useSignals } from './hooks';

/** `builtin` or `openai`; older servers only send the model. */
function coderOf(search: { coder?: string; model?: string | null }): string {
  return search.coder ?? (search.model === 'builtin' ? 'builtin' : 'openai');
}

/** The selected search: goal, status, counts, coder, and its Stop / Pause / Resume buttons. */
export function SearchHeader(props: {
  model: AideModel;
  commands: CommandRegistry;
  trans: TranslationBundle;
}): JSX.Element | null {
  const { model, commands, trans } = props;
  useSignals(model.searchesChanged, model.treeChanged);
  const search = model.selectedSearch;
  if (!search) {
    return null;
  }
  const button = (id: string, label: string) =>
    commands.isEnabled(id) ? (
      <button
        className="jp-mod-styled jp-aide-action"
        data-command={id}
        onClick={() => void commands.execute(id)}
      >
        {label}
      </button>
    ) : null;
  const counts = search.counts ?? {};
  return (
    <div
      className="jp-aide-search-head"
      data-search-id={search.id}
      data-status={search.status}
    >
      <div className="jp-aide-search-goal" title={search.goal}>
        {search.goal}
      </div>
      <div className="jp-aide-search-meta">
        <span className={`jp-aide-badge jp-aide-badge-${search.status}`}>
          {search.status}
        </span>
        <span className="jp-aide-search-steps">
          {trans.__('%1/%2 steps', search.steps_done, search.steps)}
        </span>
        <span>{trans.__('best %1', formatMetric(search.best?.metric))}</span>
        {search.holdout ? (
          <span
            className="jp-aide-holdout"
            title={trans.__(
              'Trusted scores: nodes are scored by the kernel on held-out rows they never see'
            )}
          >
            {trans.__(
              'holdout %1 · %2 rows',
              search.holdout.metric ?? '',
              search.holdout.rows ?? '?'
            )}
          </span>
        ) : null}
        {search.lower_is_better === null ||
        search.lower_is_better === undefined ? null : (
          <span className="jp-aide-muted">
            {search.lower_is_better
              ? trans.__('lower is better')
              : trans.__('higher is better')}
          </span>
        )}
        <span className="jp-aide-muted">
          {trans.__('%1 good · %2 buggy', counts.good ?? 0, counts.buggy ?? 0)}
        </span>
        <span className="jp-aide-muted">{formatSeconds(search.elapsed_s)}</span>
      </div>
      <div
        className="jp-aide-search-coder jp-aide-muted"
        data-coder={coderOf(search)}
      >
        {coderOf(search) === 'builtin'
          ? trans.__('coder: builtin (offline baseline, no LLM)')
          : search.endpoint
            ? trans.__(
                'coder: LLM %1 at %2',
                search.model ?? '?',
                search.endpoint
              )
            : trans.__('coder: LLM %1', search.model ?? '?')}
      </div>
      <SearchWhere search={search} trans={trans} />
      {search.status === 'paused' && search.pause_cause === 'llm' ? (
        <div className="jp-aide-warning" data-state="paused-llm" role="status">
          {trans.__('Paused: %1', search.stop_reason ?? '')}
        </div>
      ) : pausedByKernel(search) ? (
        <div
          className="jp-aide-warning"
          data-state="paused-kernel"
          role="status"
        >
          {trans.__(
            'Paused: its kernel restarted (%1). Re-run the cells that define %2 in the notebook, then Resume. To go on in another notebook, open it and Resume there: the search moves to its kernel.',
            search.stop_reason ?? '',
            (search.data ?? []).join(', ') || trans.__('the data')
          )}
        </div>
      ) : search.stop_reason && search.status !== 'running' ? (
        <div
          className={
            search.status === 'failed' ? 'jp-aide-error' : 'jp-aide-muted'
          }
        >
          {search.stop_reason}
        </div>
      ) : null}
      <div className="jp-aide-actions">
        {button(CommandIDs.stop, trans.__('Stop'))}
        {button(CommandIDs.pause, trans.__('Pause'))}
        {button(CommandIDs.resume, trans.__('Resume'))}
        {button(CommandIDs.deleteSearch, trans.__('Delete'))}
      </div>
    </div>
  );
}

/** Where the nodes run, when it is not simply the local kernel: a gateway's host, worker kernels. */
export function SearchWhere(props: {
  search: ISearchSummary;
  trans: TranslationBundle;
}): JSX.Element | null {
  const { search, trans } = props;
  const workers = search.workers ?? [];
  if (!search.host && workers.length === 0) {
    return null;
  }
  const running = workers.filter(w => w.running).length;
  const detail = workers
    .map(w =>
      trans.__(
        'worker %1%2: %3 nodes%4',
        w.kernel_id.slice(0, 8),
        w.host ? ` on ${w.host}` : '',
        w.nodes ?? 0,
        w.running ? '' : trans.__(' (shut down)')
      )
    )
    .join('\n');
  return (
    <div
      className="jp-aide-search-where jp-aide-muted"
      data-host={search.host ?? ''}
      data-workers={workers.length}
      title={detail || undefined}
    >
      {search.host
        ? trans.__('kernel on %1', search.host)
        : trans.__('local kernel')}
      {workers.length > 0
        ? ' · ' +
          (running === workers.length
            ? trans.__('%1 workers', workers.length)
            : trans.__('%1 workers (%2 running)', workers.length, running))
        : null}
    </div>
  );
}
