import { TranslationBundle } from '@jupyterlab/translation';
import * as React from 'react';

import { AideModel, pausedByKernel } from '../model';
import { ISearchSummary } from '../tokens';
import { formatMetric, useSignals } from './hooks';

/** One search: goal, status, steps done, best metric. Click or Enter selects it. */
function SearchItem(props: {
  search: ISearchSummary;
  selected: boolean;
  mine: boolean;
  onSelect: () => void;
  trans: TranslationBundle;
}): JSX.Element {
  const { search, trans } = props;
  return (
    <li
      className="jp-aide-search"
      role="option"
      aria-selected={props.selected}
      data-search-id={search.id}
      data-status={search.status}
      tabIndex={0}
      onClick={props.onSelect}
      onKeyDown={e => {
        if (e.key === 'Enter' || e.key === ' ') {
          e.preventDefault();
          props.onSelect();
        }
      }}
      title={search.goal}
    >
      <div className="jp-aide-search-goal">{search.goal}</div>
      <div className="jp-aide-search-meta">
        <span className={`jp-aide-badge jp-aide-badge-${search.status}`}>
          {pausedByKernel(search)
            ? trans.__('paused: kernel restarted')
            : search.status}
        </span>
        <span className="jp-aide-search-steps">
          {trans.__('%1/%2 steps', search.steps_done, search.steps)}
        </span>
        <span className="jp-aide-search-best">
          {trans.__('best %1', formatMetric(search.best?.metric))}
        </span>
        {!props.mine && search.notebook_path ? (
          <span className="jp-aide-search-nb">{search.notebook_path}</span>
        ) : null}
      </div>
    </li>
  );
}

/** The searches, those of the current notebook's kernel first; or how to start one. */
export function SearchList(props: {
  model: AideModel;
  trans: TranslationBundle;
  onNew: () => void;
}): JSX.Element {
  const { model, trans } = props;
  useSignals(model.searchesChanged, model.treeChanged, model.stateChanged);
  if (model.state.kind !== 'ready') {
    return <></>;
  }
  const searches = model.searches;
  if (model.searchesLoaded && searches.length === 0) {
    return (
      <div className="jp-aide-empty" data-state="no-searches">
        <p>{trans.__('No searches yet.')}</p>
        <p>
          {trans.__(
            'Start one with the form (New search), or from a notebook cell:'
          )}
        </p>
        <pre>
          {
            '%load_ext aide_jupyter\n%aide optimize --data df --target target --steps 10 "predict target; metric accuracy"'
          }
        </pre>
        <button className="jp-mod-styled jp-mod-accept" onClick={props.onNew}>
          {trans.__('New search')}
        </button>
      </div>
    );
  }
  const mine = searches.filter(
    s => model.kernelId !== null && s.kernel_id === model.kernelId
  );
  const others = searches.filter(s => !mine.includes(s));
  const selectedId = model.selectedSearch?.id ?? null;
  const render = (s: ISearchSummary, isMine: boolean) => (
    <SearchItem
      key={s.id}
      search={s}
      mine={isMine}
      selected={s.id === selectedId}
      trans={trans}
      onSelect={() => void model.selectSearch(s.id)}
    />
  );
  return (
    <div className="jp-aide-searches">
      {mine.length > 0 ? (
        <div className="jp-aide-group">
          {trans.__("This notebook's kernel")}
        </div>
      ) : null}
      <ul role="listbox" aria-label={trans.__('Searches')}>
        {mine.map(s => render(s, true))}
      </ul>
      {others.length > 0 ? (
        <div className="jp-aide-group">
          {mine.length > 0 ? trans.__('Other kernels') : trans.__('Searches')}
        </div>
      ) : null}
      <ul role="listbox" aria-label={trans.__('Other searches')}>
        {others.map(s => render(s, false))}
      </ul>
    </div>
  );
}
