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
  belowCellId: string | null = null
): number {
  const notebook = panel.content;
  const model = notebook.model;
  if (!model) {
    throw new Error('The notebook is not ready.');
  }
  const count = model.cells.length;
  // A search that started from a cell puts its results below that cell, when it is still here.
  const anchor = belowCellId ? cellIndexById(panel, belowCellId) : -1;
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
