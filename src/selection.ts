/**
 * The selected search's tree: fetched once when the search is selected, then kept current by its
 * node events. Events that arrive while the tree loads wait and are applied when it arrives, so
 * none is lost between the GET and the event stream. Part of `AideModel`, which owns the signals.
 */
import { AideClient } from './client';
import { NodeView } from './nodeView';
import { ISearchSummary, SearchEvent } from './tokens';
import { SearchTree } from './tree';

export class SearchSelection {
  /** `treeChanged`/`nodeChanged` emit the model's signals. */
  constructor(
    private readonly _client: AideClient,
    readonly view: NodeView,
    private readonly _treeChanged: () => void,
    private readonly _nodeChanged: () => void
  ) {}

  /** The selected search's id. */
  get id(): string | null {
    return this._id;
  }

  get tree(): SearchTree | null {
    return this._tree;
  }

  get loading(): boolean {
    return this._loading;
  }

  /** Changes on every selection: an answer asked for under another token is stale. */
  get token(): number {
    return this._token;
  }

  /** The tree is here and no events wait. */
  get ready(): boolean {
    return this._tree !== null && this._pending === null;
  }

  /**
   * Select search `id`: GET its nodes, then apply the node events that arrived meanwhile.
   * `loaded` gets the search's summary with the tree; `failed` the error, unless another search
   * was selected meanwhile. Answers the node to open (the best, when none is selected yet).
   */
  async load(
    id: string,
    loaded: (summary: ISearchSummary) => void,
    failed: (error: unknown) => void
  ): Promise<string | null> {
    this._id = id;
    this._loading = true;
    this._pending = [];
    this._treeChanged();
    const token = ++this._token;
    let openOn: string | null = null; // the best node, shown when the tree arrives
    try {
      const detail = await this._client.search(id);
      if (token !== this._token) {
        return null;
      }
      const { nodes, ...summary } = detail;
      this._tree = new SearchTree(nodes, summary.lower_is_better ?? null);
      const pending = this._pending ?? [];
      this._pending = null;
      for (const event of pending) {
        this.applyNode(event);
      }
      loaded(summary);
      openOn = this.view.selectedNodeId === null ? this._tree.bestId : null;
    } catch (error) {
      if (token === this._token) {
        failed(error);
      }
    } finally {
      if (token === this._token) {
        this._loading = false;
        this._pending = null;
        this._treeChanged();
      }
    }
    return token === this._token ? openOn : null;
  }

  /** A node event of the selected search: kept while the tree loads, else applied; true when
   * the tree changed. */
  receive(event: SearchEvent): boolean {
    if (this._pending) {
      this._pending.push(event);
      return false;
    }
    return this.applyNode(event);
  }

  /** Returns true when the tree changed. Refetches the open detail when its node finished. */
  applyNode(event: SearchEvent): boolean {
    if (event.kind !== 'node' || !this._tree) {
      return false;
    }
    const before = this._tree.get(event.node.id);
    const changed = this._tree.upsert(event.node);
    if (
      changed &&
      event.node.id === this.view.selectedNodeId &&
      before?.status !== this._tree.get(event.node.id)?.status
    ) {
      void this.view.reload(this._id);
    }
    return changed;
  }

  /** Select nothing; answers still in flight are dropped. */
  clear(): void {
    this._token++;
    this.view.reset();
    this._id = null;
    this._tree = null;
    this._loading = false;
    this._pending = null;
    this._treeChanged();
    this._nodeChanged();
  }

  private _id: string | null = null;
  private _token = 0;
  private _tree: SearchTree | null = null;
  private _loading = false;
  private _pending: SearchEvent[] | null = null;
}
