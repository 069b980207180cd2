import { ReactWidget } from '@jupyterlab/apputils';
import { IEditorServices } from '@jupyterlab/codeeditor';
import {
  ITranslator,
  nullTranslator,
  TranslationBundle
} from '@jupyterlab/translation';
import { CommandToolbarButton, SidePanel } from '@jupyterlab/ui-components';
import { CommandRegistry } from '@lumino/commands';
import { AccordionPanel, SplitPanel } from '@lumino/widgets';
import * as React from 'react';

import { CommandIDs } from '../commands';
import { AideModel } from '../model';
import { ServerState } from '../tokens';
import { useSignals } from './hooks';
import { MetricChart } from './MetricChart';
import { IFormDefaults, NewSearchForm } from './NewSearchForm';
import { NodeDetail } from './NodeDetail';
import { SearchHeader } from './SearchHeader';
import { SearchList } from './SearchList';
import { TreeView } from './TreeView';

/** Renders what the model knows of the server: its version and coders, or the fix when missing. */
export function ServerStatus(props: {
  state: ServerState;
  translator: ITranslator;
}): JSX.Element {
  const trans = props.translator.load('aide-jupyter');
  const { state } = props;
  switch (state.kind) {
    case 'loading':
      return (
        <div className="jp-aide-status" data-state="loading">
          {trans.__('Contacting the AIDE server extension…')}
        </div>
      );
    case 'ready':
      return (
        <div
          className="jp-aide-status jp-aide-muted"
          data-state="ready"
          title={trans.__(
            'AIDE server extension %1 · Coders: %2',
            state.health.version,
            state.health.coders.join(', ')
          )}
        >
          {trans.__('AIDE server extension %1', state.health.version)}
          {' · '}
          {trans.__('Coders: %1', state.health.coders.join(', '))}
        </div>
      );
    case 'missing':
    case 'error':
      return (
        <div className="jp-aide-status jp-aide-error" data-state={state.kind}>
          {state.message}
        </div>
      );
  }
}

/** Server state, the last action error, the new-search form and the searches. */
function SearchesSection(props: {
  model: AideModel;
  translator: ITranslator;
  trans: TranslationBundle;
  defaults: () => IFormDefaults;
}): JSX.Element {
  const { model, trans } = props;
  useSignals(model.stateChanged, model.form.changed);
  const [error, setError] = React.useState<string | null>(null);
  React.useEffect(() => {
    const show = (_: AideModel, message: string) => setError(message);
    model.errorOccurred.connect(show);
    return () => {
      model.errorOccurred.disconnect(show);
    };
  }, [model]);
  const state = model.state;
  return (
    <div className="jp-aide-section">
      <ServerStatus state={state} translator={props.translator} />
      {error ? (
        <div className="jp-aide-error jp-aide-action-error" role="alert">
          {error}{' '}
          <button className="jp-mod-styled" onClick={() => setError(null)}>
            {trans.__('Dismiss')}
          </button>
        </div>
      ) : null}
      {state.kind === 'ready' && model.form.open ? (
        <NewSearchForm
          key={model.form.seed ? `seed:${model.form.seed.cellId}` : 'blank'}
          model={model}
          trans={trans}
          coders={state.health.coders}
          defaults={props.defaults()}
          onDone={() => model.form.show(false)}
        />
      ) : null}
      <SearchList
        model={model}
        trans={trans}
        onNew={() => model.form.show(true)}
      />
    </div>
  );
}

/** How the sidebar's height is shared at first (the accordion distributes it by these). */
export const SECTION_STRETCH = { searches: 2, tree: 10, detail: 4 };
/** While the New search form is open, the Searches section holds it: most of the height. */
export const FORM_SIZES = [7, 2, 1];

/** The AIDE side panel: searches, the selected search's chart and tree, and the node's detail. */
export class AidePanel extends SidePanel {
  constructor(
    readonly model: AideModel,
    translator: ITranslator = nullTranslator,
    options: {
      commands?: CommandRegistry;
      editorServices?: IEditorServices | null;
      defaults?: () => IFormDefaults;
    } = {}
  ) {
    super({ translator });
    const trans = translator.load('aide-jupyter');
    const commands = options.commands ?? new CommandRegistry();
    const editorServices = options.editorServices ?? null;
    const defaults = options.defaults ?? (() => ({ steps: 10, model: '' }));
    this.id = 'aide-jupyter-panel';
    this.addClass('jp-aide-panel');
    this.title.caption = trans.__('AIDE tree search');
    this.title.label = trans.__('AIDE');
    const header = ReactWidget.create(
      <h2 className="jp-aide-header">{trans.__('AIDE')}</h2>
    );
    this.header.addWidget(header);

    if (options.commands) {
      for (const [name, id] of [
        ['new', CommandIDs.newSearch],
        ['refresh', CommandIDs.refresh],
        ['stop', CommandIDs.stop],
        ['pause', CommandIDs.pause],
        ['resume', CommandIDs.resume]
      ] as const) {
        this.toolbar.addItem(
          name,
          new CommandToolbarButton({ commands, id, label: '' })
        );
      }
    }

    const searches = ReactWidget.create(
      <SearchesSection
        model={model}
        translator={translator}
        trans={trans}
        defaults={defaults}
      />
    );
    searches.title.label = trans.__('Searches');
    searches.addClass('jp-aide-searches-section');
    this.addWidget(searches);

    const tree = ReactWidget.create(
      <div className="jp-aide-section jp-aide-tree-section">
        <SearchHeader model={model} commands={commands} trans={trans} />
        <MetricChart model={model} trans={trans} />
        <TreeView model={model} trans={trans} />
      </div>
    );
    tree.title.label = trans.__('Tree');
    tree.addClass('jp-aide-tree-widget');
    this.addWidget(tree);

    const detail = ReactWidget.create(
      <div className="jp-aide-section">
        <NodeDetail
          model={model}
          commands={commands}
          editorServices={editorServices}
          trans={trans}
        />
      </div>
    );
    detail.title.label = trans.__('Node');
    detail.addClass('jp-aide-detail-widget');
    this.addWidget(detail);

    // The tree gets the largest share of the height, the node detail the next: ~10 tree rows and
    // the start of the node's detail in a default sidebar. The accordion's handles resize them.
    SplitPanel.setStretch(searches, SECTION_STRETCH.searches);
    SplitPanel.setStretch(tree, SECTION_STRETCH.tree);
    SplitPanel.setStretch(detail, SECTION_STRETCH.detail);

    // The form opens roomy (not squeezed into the Searches section's share), and the sections get
    // their shares back when it closes.
    model.form.changed.connect((_, open) => {
      const accordion = this.content as AccordionPanel;
      if (open) {
        accordion.expand(0);
      }
      const { searches, tree, detail } = SECTION_STRETCH;
      accordion.setRelativeSizes(open ? FORM_SIZES : [searches, tree, detail]);
    });

    // Buttons follow the selection (enabled states of the commands).
    const changed = () => commands.notifyCommandChanged();
    model.treeChanged.connect(changed);
    model.nodeChanged.connect(changed);
    model.searchesChanged.connect(changed);
  }
}
