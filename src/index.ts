import {
  ILayoutRestorer,
  JupyterFrontEnd,
  JupyterFrontEndPlugin
} from '@jupyterlab/application';
import { ICommandPalette } from '@jupyterlab/apputils';
import { ITranslator, nullTranslator } from '@jupyterlab/translation';

import { CommandIDs } from './commands';
import { AideModel } from './model';
import { AidePanel } from './widgets/AidePanel';

/**
 * The aide-jupyter plugin: an "AIDE" side panel that talks to the server extension.
 */
const plugin: JupyterFrontEndPlugin<void> = {
  id: 'aide-jupyter:plugin',
  description: 'AIDE tree search side panel.',
  autoStart: true,
  optional: [ILayoutRestorer, ICommandPalette, ITranslator],
  activate: (
    app: JupyterFrontEnd,
    restorer: ILayoutRestorer | null,
    palette: ICommandPalette | null,
    translator: ITranslator | null
  ) => {
    const trans = (translator ?? nullTranslator).load('aide-jupyter');
    const model = new AideModel();
    const panel = new AidePanel(model, translator ?? nullTranslator);
    app.shell.add(panel, 'right', { rank: 800 });
    restorer?.add(panel, panel.id);

    app.commands.addCommand(CommandIDs.openPanel, {
      label: trans.__('Open the AIDE panel'),
      execute: () => app.shell.activateById(panel.id)
    });
    app.commands.addCommand(CommandIDs.refresh, {
      label: trans.__('Refresh AIDE server status'),
      execute: () => model.refresh()
    });
    palette?.addItem({ command: CommandIDs.openPanel, category: 'AIDE' });
    palette?.addItem({ command: CommandIDs.refresh, category: 'AIDE' });

    void model.refresh();
  }
};

export default plugin;
