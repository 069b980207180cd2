/**
 * The extension's commands: each action of the panel is a command (palette, keyboard, buttons).
 * The work is the model's or the notebook helpers'; this file wires them to the app.
 */
import { JupyterFrontEnd } from '@jupyterlab/application';
import { Clipboard, InputDialog, showErrorMessage } from '@jupyterlab/apputils';
import { IDocumentManager } from '@jupyterlab/docmanager';
import { INotebookTracker, NotebookPanel } from '@jupyterlab/notebook';
import { TranslationBundle } from '@jupyterlab/translation';
import {
  addIcon,
  collapseAllIcon,
  copyIcon,
  expandAllIcon,
  pauseIcon,
  refreshIcon,
  runIcon,
  stopIcon
} from '@jupyterlab/ui-components';

import { CommandIDs } from './commands';
import { AideModel, pausedByKernel } from './model';
import { findNodeCell, insertBelowActive } from './notebook';
import { ISearchSummary } from './tokens';

export interface IActionDeps {
  app: JupyterFrontEnd;
  model: AideModel;
  trans: TranslationBundle;
  panelId: string;
  tracker: INotebookTracker | null;
  docManager: IDocumentManager | null;
}

const ACTIVE = new Set(['queued', 'running', 'paused']);

export function addCommands(deps: IActionDeps): string[] {
  const { app, model, trans, tracker, docManager } = deps;
  const { commands } = app;

  const searchOf = (args: any): ISearchSummary | null =>
    (args?.searchId
      ? model.searches.find(s => s.id === args.searchId)
      : null) ?? model.selectedSearch;

  const readyNode = () =>
    model.detail.kind === 'ready' ? model.detail.node : null;

  const insert = async (sources: string[]): Promise<void> => {
    const node = readyNode();
    const search = model.selectedSearch;
    const panel: NotebookPanel | null = tracker?.currentWidget ?? null;
    if (!node || !search || sources.length === 0) {
      return;
    }
    if (!panel) {
      await showErrorMessage(
        trans.__('No notebook'),
        trans.__(
          'Open the notebook to insert the cells into, click a cell in it, then try again.'
        )
      );
      return;
    }
    await panel.context.ready;
    const seedCell =
      search.seed?.cell_id && panel.context.path === search.notebook_path
        ? { cellId: search.seed.cell_id, source: node.seed_code }
        : null;
    insertBelowActive(
      panel,
      sources,
      { search_id: search.id, node_id: node.id },
      seedCell
    );
    app.shell.activateById(panel.id);
  };

  commands.addCommand(CommandIDs.refresh, {
    label: trans.__('Refresh AIDE searches'),
    caption: trans.__('Refresh AIDE searches'),
    icon: refreshIcon,
    execute: () => model.refresh()
  });
  /** The cell the command is about: the right-clicked one from the menu, else the active one. */
  const targetCodeCell = (args: any) => {
    const panel = tracker?.currentWidget ?? null;
    if (args?.fromMenu && panel) {
      const node = app.contextMenuHitTest(n => n.classList.contains('jp-Cell'));
      const hit = panel.content.widgets.find(c => c.node === node);
      if (hit) {
        return hit.model.type === 'code' ? hit : null;
      }
    }
    const cell = tracker?.activeCell ?? null;
    return cell && cell.model.type === 'code' ? cell : null;
  };
  commands.addCommand(CommandIDs.improveCell, {
    label: trans.__('Improve this cell with AIDE'),
    caption: trans.__(
      "Start an AIDE search from this cell's code: it becomes the root of the tree"
    ),
    isEnabled: args => !!targetCodeCell(args),
    execute: async args => {
      const cell = targetCodeCell(args);
      const panel = tracker?.currentWidget ?? null;
      if (!cell || !panel) {
        return;
      }
      const code = cell.model.sharedModel.getSource();
      if (!code.trim()) {
        await showErrorMessage(
          trans.__('Empty cell'),
          trans.__('Write the code to improve in the cell first.')
        );
        return;
      }
      // The server reads the saved notebook for the cells above (the notebook context).
      if (panel.context.model.dirty && !panel.context.model.readOnly) {
        await panel.context.save().catch(() => undefined);
      }
      model.form.show(true, { code, cellId: cell.model.id });
      app.shell.activateById(deps.panelId);
    }
  });
  app.contextMenu.addItem({
    command: CommandIDs.improveCell,
    selector: '.jp-Notebook .jp-CodeCell',
    rank: 20,
    args: { fromMenu: true }
  });

  commands.addCommand(CommandIDs.newSearch, {
    label: trans.__('New AIDE search…'),
    caption: trans.__('Start a search on this notebook’s kernel'),
    icon: addIcon,
    execute: () => {
      app.shell.activateById(deps.panelId);
      model.form.show(true);
    }
  });
  commands.addCommand(CommandIDs.stop, {
    label: trans.__('Stop the AIDE search'),
    caption: trans.__('Stop the AIDE search'),
    icon: stopIcon,
    isEnabled: args => ACTIVE.has(searchOf(args)?.status ?? ''),
    execute: args => {
      const s = searchOf(args);
      return s ? model.stop(s.id) : undefined;
    }
  });
  commands.addCommand(CommandIDs.pause, {
    label: trans.__('Pause the AIDE search'),
    caption: trans.__('Pause the AIDE search'),
    icon: pauseIcon,
    isEnabled: args =>
      ['queued', 'running'].includes(searchOf(args)?.status ?? ''),
    execute: args => {
      const s = searchOf(args);
      return s ? model.pause(s.id) : undefined;
    }
  });
  commands.addCommand(CommandIDs.resume, {
    label: trans.__('Resume the AIDE search'),
    caption: trans.__('Resume the AIDE search'),
    icon: runIcon,
    // Stopped searches resume too (the server continues them from their journal).
    isEnabled: args =>
      ['paused', 'stopped'].includes(searchOf(args)?.status ?? ''),
    execute: args => {
      const s = searchOf(args);
      if (!s) {
        return;
      }
      // A search whose kernel went away moves to the current notebook's kernel.
      const kernel =
        (args?.kernelId as string | undefined) ??
        (pausedByKernel(s) && model.kernelId && model.kernelId !== s.kernel_id
          ? model.kernelId
          : undefined);
      return model.resume(s.id, kernel);
    }
  });
  commands.addCommand(CommandIDs.deleteSearch, {
    label: trans.__('Delete the AIDE search (keeps its run folder)'),
    isEnabled: args => searchOf(args) !== null,
    execute: async args => {
      const s = searchOf(args);
      if (!s) {
        return;
      }
      const answer = await InputDialog.getBoolean({
        title: trans.__('Delete this search?'),
        label: trans.__('It stops; its run folder %1 stays.', s.run_dir ?? '')
      });
      if (answer.button.accept) {
        await model.deleteSearch(s.id);
      }
    }
  });
  commands.addCommand(CommandIDs.promote, {
    label: trans.__('Promote the AIDE node into the notebook'),
    caption: trans.__('Insert all the node’s cells below the active cell'),
    isEnabled: () => (readyNode()?.cells.length ?? 0) > 0,
    execute: () => insert(readyNode()?.cells ?? [])
  });
  commands.addCommand(CommandIDs.cherryPick, {
    label: trans.__('Insert the ticked cells of the AIDE node'),
    isEnabled: () => model.pickedSources().length > 0,
    execute: () => insert(model.pickedSources())
  });
  commands.addCommand(CommandIDs.fork, {
    label: trans.__('Fork the AIDE node…'),
    caption: trans.__(
      'Run a child of this node from an instruction or edited code'
    ),
    isEnabled: args =>
      Boolean((args?.nodeId as string) ?? model.selectedNodeId),
    execute: async args => {
      const nodeId = (args?.nodeId as string) ?? model.selectedNodeId;
      if (!nodeId) {
        return;
      }
      let instruction = args?.instruction as string | undefined;
      const code = args?.code as string | undefined;
      if (!instruction && !code) {
        const answer = await InputDialog.getText({
          title: trans.__('Fork node'),
          label: trans.__('Instruction for the child'),
          placeholder: trans.__('e.g. try gradient boosting with 300 trees')
        });
        if (!answer.button.accept || !answer.value?.trim()) {
          return;
        }
        instruction = answer.value.trim();
      }
      const child = await model.fork(nodeId, code ? { code } : { instruction });
      if (child) {
        await model.selectNode(child.id);
      }
      return child;
    }
  });
  commands.addCommand(CommandIDs.openJournal, {
    label: trans.__('Open the AIDE journal notebook at this node'),
    isEnabled: () => Boolean(model.selectedSearch?.journal_path && docManager),
    execute: async () => {
      const path = model.selectedSearch?.journal_path;
      const nodeId = model.selectedNodeId;
      if (!path || !docManager) {
        return;
      }
      const widget = docManager.openOrReveal(path);
      if (!(widget instanceof NotebookPanel)) {
        return;
      }
      await widget.context.ready;
      await widget.revealed;
      if (nodeId) {
        const index = findNodeCell(widget, nodeId);
        if (index >= 0) {
          widget.content.activeCellIndex = index;
          await widget.content.scrollToItem(index, 'start');
        }
      }
      return widget.id;
    }
  });
  commands.addCommand(CommandIDs.copyCode, {
    label: trans.__('Copy the AIDE node’s code'),
    icon: copyIcon,
    isEnabled: () => Boolean(readyNode()?.code),
    execute: () => {
      const node = readyNode();
      if (node) {
        Clipboard.copyToSystem(node.code);
      }
    }
  });
  commands.addCommand(CommandIDs.selectBest, {
    label: trans.__('Select the best AIDE node'),
    isEnabled: () => Boolean(model.tree?.bestId),
    execute: () => model.selectNode(model.tree?.bestId ?? null)
  });
  commands.addCommand(CommandIDs.collapseAll, {
    label: trans.__('Collapse the AIDE tree'),
    icon: collapseAllIcon,
    isEnabled: () => model.tree !== null,
    execute: () => model.setAllCollapsed(true)
  });
  commands.addCommand(CommandIDs.expandAll, {
    label: trans.__('Expand the AIDE tree'),
    icon: expandAllIcon,
    isEnabled: () => model.tree !== null,
    execute: () => model.setAllCollapsed(false)
  });

  return [
    CommandIDs.newSearch,
    CommandIDs.improveCell,
    CommandIDs.refresh,
    CommandIDs.stop,
    CommandIDs.pause,
    CommandIDs.resume,
    CommandIDs.deleteSearch,
    CommandIDs.selectBest,
    CommandIDs.promote,
    CommandIDs.cherryPick,
    CommandIDs.fork,
    CommandIDs.openJournal,
    CommandIDs.copyCode,
    CommandIDs.collapseAll,
    CommandIDs.expandAll
  ];
}
