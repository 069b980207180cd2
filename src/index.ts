import {
  ILayoutRestorer,
  JupyterFrontEnd,
  JupyterFrontEndPlugin
} from '@jupyterlab/application';
import { ICommandPalette } from '@jupyterlab/apputils';
import { IEditorServices } from '@jupyterlab/codeeditor';
import { IDocumentManager } from '@jupyterlab/docmanager';
import { INotebookTracker, NotebookPanel } from '@jupyterlab/notebook';
import { ISettingRegistry } from '@jupyterlab/settingregistry';
import { ITranslator, nullTranslator } from '@jupyterlab/translation';

import { addCommands } from './actions';
import { CommandIDs } from './commands';
import { AideModel } from './model';
import { AidePanel } from './widgets/AidePanel';
import { IFormDefaults } from './widgets/NewSearchForm';

const PLUGIN_ID = 'aide-jupyter:plugin';

/**
 * The aide-jupyter plugin: an "AIDE" side panel that talks to the server extension, follows the
 * current notebook's kernel and applies the server's live events.
 */
const plugin: JupyterFrontEndPlugin<void> = {
  id: PLUGIN_ID,
  description: 'AIDE tree search side panel.',
  autoStart: true,
  optional: [
    ILayoutRestorer,
    ICommandPalette,
    ITranslator,
    INotebookTracker,
    IDocumentManager,
    IEditorServices,
    ISettingRegistry
  ],
  activate: (
    app: JupyterFrontEnd,
    restorer: ILayoutRestorer | null,
    palette: ICommandPalette | null,
    translator: ITranslator | null,
    tracker: INotebookTracker | null,
    docManager: IDocumentManager | null,
    editorServices: IEditorServices | null,
    settingRegistry: ISettingRegistry | null
  ) => {
    const trans = (translator ?? nullTranslator).load('aide-jupyter');
    const model = new AideModel();
    const defaults: IFormDefaults = { steps: 10, model: '' };
    const panel = new AidePanel(model, translator ?? nullTranslator, {
      commands: app.commands,
      editorServices,
      defaults: () => defaults
    });
    app.shell.add(panel, 'right', { rank: 800 });
    restorer?.add(panel, panel.id);

    app.commands.addCommand(CommandIDs.openPanel, {
      label: trans.__('Open the AIDE panel'),
      execute: () => app.shell.activateById(panel.id)
    });
    const ids = addCommands({
      app,
      model,
      trans,
      panelId: panel.id,
      tracker,
      docManager
    });
    for (const command of [CommandIDs.openPanel, ...ids]) {
      palette?.addItem({ command, category: 'AIDE' });
    }

    if (settingRegistry) {
      void settingRegistry.load(PLUGIN_ID).then(
        settings => {
          const read = () => {
            defaults.steps =
              (settings.get('defaultSteps').composite as number) ?? 10;
            defaults.model =
              (settings.get('defaultModel').composite as string) ?? '';
          };
          read();
          settings.changed.connect(read);
        },
        () => undefined
      );
    }

    // Live events from jupyter_server's event bus.
    app.serviceManager.events.stream.connect((_, emission) =>
      model.handleEmission(emission as any)
    );

    // Follow the current notebook's kernel: its searches come first, the form uses its variables.
    const follow = (nb: NotebookPanel | null) => {
      const session = nb?.sessionContext;
      model.setContext(
        session?.session?.kernel?.id ?? null,
        nb?.context.path ?? null
      );
    };
    if (tracker) {
      const onKernel = () => follow(tracker.currentWidget);
      tracker.currentChanged.connect((_, nb) => {
        follow(nb);
        if (nb) {
          nb.sessionContext.kernelChanged.connect(onKernel);
          nb.sessionContext.sessionChanged.connect(onKernel);
          void nb.sessionContext.ready.then(onKernel);
        }
      });
      follow(tracker.currentWidget);
    }

    // The event websocket reconnects silently and may drop events meanwhile: while a search is
    // active, the model fetches it again now and then, and when the window gets the focus back.
    model.startResync();
    window.addEventListener('focus', () => void model.resync(2000));

    void model.refresh();
  }
};

export default plugin;
