import { NotebookPanel } from '@jupyterlab/notebook';

/** Where inserted cells came from, kept in their metadata (not `aide`, which marks journal cells). */
export interface ICellOrigin {
  search_id: string;
  node_id: string;
}

/**
 * Insert code cells below the active cell (at the end when none is active) and make the last one
 * active. Returns the index of the first inserted cell.
 */
export function insertBelowActive(
  panel: NotebookPanel,
  sources: string[],
  origin: ICellOrigin,
  below: ICellRef | null = null
): number {
  const notebook = panel.content;
  const model = notebook.model;
  if (!model) {
    throw new Error('The notebook is not ready.');
  }
  const count = model.cells.length;
  // A search that started from a cell puts its results below that cell, when it is still here.
  const anchor = below ? findCell(panel, below) : -1;
  if (below && anchor < 0) {
    // eslint-disable-next-line no-console -- why the cells land elsewhere than the user expects
    console.warn(
      `AIDE: the search's starting cell (${below.cellId}) is no longer in this notebook; inserting below the active cell.`
    );
  }
  const from = anchor >= 0 ? anchor : notebook.activeCellIndex;
  const at = count === 0 ? 0 : Math.min(count, from + 1);
  model.sharedModel.insertCells(
    at,
    sources.map(source => ({
      cell_type: 'code',
      source,
      metadata: { aide_origin: { ...origin } }
    }))
  );
  notebook.activeCellIndex = at + sources.length - 1;
  void notebook.scrollToItem(notebook.activeCellIndex, 'smart');
  return at;
}

/** The index of the first journal cell of a node (cell metadata `aide.node_id`), or -1. */
export function findNodeCell(panel: NotebookPanel, nodeId: string): number {
  const cells = panel.content.model?.cells;
  if (!cells) {
    return -1;
  }
  for (let i = 0; i < cells.length; i++) {
    const meta = cells.get(i).getMetadata('aide') as
      { node_id?: string } | undefined;
    if (meta && meta.node_id === nodeId) {
      return i;
    }
  }
  return -1;
}

/** A cell to find again: by its id, or (when the notebook was reloaded and ids changed) its code. */
export interface ICellRef {
  cellId: string;
  source?: string | null;
}

/** The index of the referenced cell: the one with its id, else the first with its code; or -1. */
export function findCell(panel: NotebookPanel, ref: ICellRef): number {
  const byId = cellIndexById(panel, ref.cellId);
  const cells = panel.content.model?.cells;
  if (byId >= 0 || !cells || !ref.source?.trim()) {
    return byId;
  }
  const wanted = ref.source.trim();
  for (let i = 0; i < cells.length; i++) {
    const cell = cells.get(i);
    if (
      cell.type === 'code' &&
      cell.sharedModel.getSource().trim() === wanted
    ) {
      return i;
    }
  }
  return -1;
}

/** The index of the cell with this id in the notebook, or -1. */
export function cellIndexById(panel: NotebookPanel, cellId: string): number {
  const cells = panel.content.model?.cells;
  if (!cells) {
    return -1;
  }
  for (let i = 0; i < cells.length; i++) {
    if (cells.get(i).id === cellId) {
      return i;
    }
  }
  return -1;
}
