import { ReactWidget, UseSignal } from '@jupyterlab/apputils';
import { ITranslator, nullTranslator } from '@jupyterlab/translation';
import { SidePanel } from '@jupyterlab/ui-components';
import * as React from 'react';

import { AideModel } from '../model';
import { ServerState } from '../tokens';

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
        <div className="jp-aide-status" data-state="ready">
          <div>
            {trans.__('AIDE server extension %1', state.health.version)}
          </div>
          <div>{trans.__('Coders: %1', state.health.coders.join(', '))}</div>
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

/** The AIDE side panel: a `SidePanel` whose first section shows the server's state. */
export class AidePanel extends SidePanel {
  constructor(
    readonly model: AideModel,
    translator: ITranslator = nullTranslator
  ) {
    super({ translator });
    const trans = translator.load('aide-jupyter');
    this.id = 'aide-jupyter-panel';
    this.addClass('jp-aide-panel');
    this.title.caption = trans.__('AIDE tree search');
    this.title.label = trans.__('AIDE');
    const header = ReactWidget.create(
      <h2 className="jp-aide-header">{trans.__('AIDE')}</h2>
    );
    this.header.addWidget(header);
    const status = ReactWidget.create(
      <UseSignal signal={model.stateChanged}>
        {/* Read the model on every render: the panel may mount after the state changed. */}
        {() => <ServerStatus state={model.state} translator={translator} />}
      </UseSignal>
    );
    status.title.label = trans.__('Server');
    this.addWidget(status);
  }
}
