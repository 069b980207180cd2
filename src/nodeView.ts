/**
 * What is open in the selected search's tree: the collapsed branches, the selected node and its
 * detail (fetched from the server), and the cells ticked for a cherry-pick. Part of `AideModel`,
 * which owns the signals and tells this view when the search changes.
 */
import { AideClient } from './client';
import { INodeDetail } from './tokens';
import { SearchTree } from './tree';

/** The state of the node detail pane. */
export type DetailState =
  | { kind: 'none' }
  | { kind: 'loading'; nodeId: string }
  | { kind: 'ready'; node: INodeDetail }
  | { kind: 'error'; nodeId: string; message: string };

export class NodeView {
  /** `treeChanged`/`nodeChanged` emit the model's signals. */
  constructor(
    private readonly _client: AideClient,
    private readonly _treeChanged: () => void,
    private readonly _nodeChanged: () => void
  ) {}

  get collapsed(): ReadonlySet<string> {
    return this._collapsed;
  }

  get selectedNodeId(): string | null {
    return this._selectedNodeId;
  }

  get detail(): DetailState {
    return this._detail;
  }

  get picked(): ReadonlySet<number> {
    return this._picked;
  }

  /** Select a node of `search` (the user's choice: the detail stops following the best). */
  select(search: string | null, id: string | null): Promise<void> {
    this._followsBest = false;
    return this._show(search, id);
  }

  /**
   * Show the best node while the user has picked none (nothing shown, or only bests shown so
   * far), so a search the panel follows ends on its best; a node the user picked stays.
   */
  showBest(search: string | null, best: string | null): Promise<void> {
    if (!best || (this._selectedNodeId !== null && !this._followsBest)) {
      return Promise.resolve();
    }
    this._followsBest = true;
    return this._show(search, best);
  }

  private async _show(search: string | null, id: string | null): Promise<void> {
    if (id === this._selectedNodeId) {
      return;
    }
    this._selectedNodeId = id;
    this._picked = new Set();
    if (id === null || search === null) {
      this._setDetail({ kind: 'none' });
      return;
    }
    await this._fetchDetail(search, id);
  }

  /** Fetch the selected node's detail again (after it finished running). */
  async reload(search: string | null): Promise<void> {
    if (search && this._selectedNodeId) {
      await this._fetchDetail(search, this._selectedNodeId);
    }
  }

  /** Forget everything (another search is selected); the model emits the signals. */
  reset(): void {
    this._detailToken++;
    this._collapsed = new Set();
    this._selectedNodeId = null;
    this._followsBest = true;
    this._picked = new Set();
    this._detail = { kind: 'none' };
  }

  toggleCollapsed(id: string, collapsed?: boolean): void {
    const next = new Set(this._collapsed);
    const want = collapsed ?? !next.has(id);
    if (want === next.has(id)) {
      return;
    }
    if (want) {
      next.add(id);
    } else {
      next.delete(id);
    }
    this._collapsed = next;
    this._treeChanged();
  }

  /** Collapse every node of `tree` with children, or expand all. */
  setAllCollapsed(tree: SearchTree | null, collapsed: boolean): void {
    const next = new Set<string>();
    if (collapsed && tree) {
      for (const node of tree.nodes()) {
        if (tree.children(node.id).length > 0) {
          next.add(node.id);
        }
      }
    }
    this._collapsed = next;
    this._treeChanged();
  }

  togglePicked(index: number): void {
    const next = new Set(this._picked);
    if (next.has(index)) {
      next.delete(index);
    } else {
      next.add(index);
    }
    this._picked = next;
    this._nodeChanged();
  }

  /** The cells to insert for a cherry-pick: the ticked ones, in order. */
  pickedSources(): string[] {
    if (this._detail.kind !== 'ready') {
      return [];
    }
    const cells = this._detail.node.cells;
    return Array.from(this._picked)
      .sort((a, b) => a - b)
      .filter(i => i >= 0 && i < cells.length)
      .map(i => cells[i]);
  }

  private async _fetchDetail(search: string, id: string): Promise<void> {
    const token = ++this._detailToken;
    this._setDetail({ kind: 'loading', nodeId: id });
    try {
      const node = await this._client.node(search, id);
      if (token === this._detailToken) {
        this._setDetail({ kind: 'ready', node });
      }
    } catch (error) {
      if (token === this._detailToken) {
        this._setDetail({
          kind: 'error',
          nodeId: id,
          message: (error as Error).message
        });
      }
    }
  }

  private _setDetail(detail: DetailState): void {
    this._detail = detail;
    this._nodeChanged();
  }

  private _detailToken = 0;
  private _collapsed: ReadonlySet<string> = new Set();
  private _selectedNodeId: string | null = null;
  private _followsBest = true;
  private _detail: DetailState = { kind: 'none' };
  private _picked: ReadonlySet<number> = new Set();
}
