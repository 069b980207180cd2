import { ServerConnection } from '@jupyterlab/services';
import { ISignal, Signal } from '@lumino/signaling';

import { AideClient } from './client';
import { FormState } from './form';
import { DetailState, NodeView } from './nodeView';
import { SearchSelection } from './selection';
import { RESYNC_INTERVAL_MS, Resync } from './resync';
import { SearchActions } from './searchActions';
import { newestOfKernel } from './searches';
import { checkServer } from './serverState';
import { SearchStore } from './store';
import {
  INodeSummary,
  ISearchRequest,
  ISearchSummary,
  IVariable,
  SEARCH_EVENT_SCHEMA,
  SearchEvent,
  ServerState
} from './tokens';
import { SearchTree } from './tree';

// Kept importable from here: the widgets and other modules have always found them in model.ts.
export type { DetailState } from './nodeView';
export {
  isActive,
  orderSearches,
  pausedByKernel,
  versionMismatchMessage
} from './searches';

export { RESYNC_INTERVAL_MS } from './resync';

/**
 * The panel's state, outside React: the server, the searches, the selected search's tree and the
 * selected node, kept current by live events from jupyter_server's event bus. The REST calls are
 * in client.ts, the searches in store.ts, the selected search's tree in selection.ts, what is open
 * in it (collapsed branches, the node detail) in nodeView.ts, the catch-up after missed events in
 * resync.ts, the New search form's state in form.ts.
 */
export class AideModel {
  constructor(
    settings: ServerConnection.ISettings = ServerConnection.makeSettings()
  ) {
    this._client = new AideClient(settings);
    const treeChanged = () => this._treeChanged.emit();
    const nodeChanged = () => this._nodeChanged.emit();
    this._view = new NodeView(this._client, treeChanged, nodeChanged);
    this._selection = new SearchSelection(
      this._client,
      this._view,
      treeChanged,
      nodeChanged
    );
    this._store = new SearchStore(() => this._searchesChanged.emit());
    this._actions = new SearchActions(this._client, {
      apply: event => this.applyEvent(event),
      fail: error => this._fail(error),
      selectSearch: id => this.selectSearch(id),
      loadedSearchId: () => (this._selection.tree ? this._selection.id : null)
    });
    this._resync = new Resync(this._client, this._store, this._selection, {
      ready: () => this._state.kind === 'ready',
      merged: () => this._dropVanishedSelection(),
      done: changed => {
        this._store.reorder();
        if (changed) {
          this._treeChanged.emit();
        }
      }
    });
  }

  get state(): ServerState {
    return this._state;
  }

  get stateChanged(): ISignal<this, ServerState> {
    return this._stateChanged;
  }

  /** Emitted when the list of searches changes. */
  get searchesChanged(): ISignal<this, void> {
    return this._searchesChanged;
  }

  /** Emitted when the selected search, its tree or the collapsed set changes. */
  get treeChanged(): ISignal<this, void> {
    return this._treeChanged;
  }

  /** Emitted when the selected node or its detail changes. */
  get nodeChanged(): ISignal<this, void> {
    return this._nodeChanged;
  }

  /** Emitted with a message when an action fails (the panel shows it). */
  get errorOccurred(): ISignal<this, string> {
    return this._errorOccurred;
  }

  /** The searches, current kernel's first. */
  get searches(): ISearchSummary[] {
    return this._store.ordered;
  }

  get kernelId(): string | null {
    return this._store.kernelId;
  }

  get notebookPath(): string | null {
    return this._notebookPath;
  }

  get selectedSearch(): ISearchSummary | null {
    const id = this._selection.id;
    return id ? (this._store.get(id) ?? null) : null;
  }

  get tree(): SearchTree | null {
    return this._selection.tree;
  }

  get treeLoading(): boolean {
    return this._selection.loading;
  }

  get collapsed(): ReadonlySet<string> {
    return this._view.collapsed;
  }

  get selectedNodeId(): string | null {
    return this._view.selectedNodeId;
  }

  get selectedNode(): INodeSummary | null {
    const id = this._view.selectedNodeId;
    const tree = this._selection.tree;
    return id && tree ? (tree.get(id) ?? null) : null;
  }

  get detail(): DetailState {
    return this._view.detail;
  }

  /** The New search form: open or not, and the cell it starts from (form.ts). */
  readonly form = new FormState();

  /** Indices of the cells ticked for a cherry-pick, in the selected node. */
  get pickedCells(): ReadonlySet<number> {
    return this._view.picked;
  }

  /** Ask the server extension whether it is there, then list the searches; never throws. */
  async refresh(): Promise<ServerState> {
    this._setState({ kind: 'loading' });
    this._setState(await checkServer(this._client));
    if (this._state.kind === 'ready') {
      await this.loadSearches();
    }
    return this._state;
  }

  /** GET the searches; keeps the selection when it still exists. */
  async loadSearches(): Promise<void> {
    try {
      const searches = await this._client.searches();
      this._store.replaceAll(searches);
      this._dropVanishedSelection();
      this._autoSelect();
    } catch (error) {
      this._fail(error);
    }
  }

  get searchesLoaded(): boolean {
    return this._store.loaded;
  }

  /** The current notebook's kernel and path (from the notebook tracker). */
  setContext(kernelId: string | null, notebookPath: string | null): void {
    if (
      kernelId === this._store.kernelId &&
      notebookPath === this._notebookPath
    ) {
      return;
    }
    this._store.setKernel(kernelId);
    this._notebookPath = notebookPath;
    this._store.reorder();
    this._autoSelect();
  }

  /**
   * Follow the newest search of the current notebook's kernel while the user has chosen nothing
   * (no selection, or only one made here), so a search started with `%aide optimize` shows its
   * tree without a click. A search the user picked is never replaced.
   */
  private _autoSelect(): void {
    if (
      this._store.kernelId === null ||
      (this._selection.id !== null && !this._autoSelected)
    ) {
      return;
    }
    const mine = newestOfKernel(this._store.values(), this._store.kernelId);
    if (mine && mine.id !== this._selection.id) {
      const selecting = this.selectSearch(mine.id);
      this._autoSelected = true; // after selectSearch's synchronous start, which clears it
      void selecting;
    }
  }

  /** Select a search: GET its nodes, then apply the live events that arrived meanwhile. */
  async selectSearch(id: string | null): Promise<void> {
    this._autoSelected = false;
    const selection = this._selection;
    if (id === selection.id && (selection.tree || selection.loading)) {
      return;
    }
    selection.clear();
    if (id === null) {
      return;
    }
    const openOn = await selection.load(
      id,
      summary => {
        this._store.put(summary);
        this._store.reorder();
      },
      error => this._fail(error)
    );
    await this._view.showBest(id, openOn);
  }

  /** Select a node (the detail then stops following the best) and fetch its detail. */
  selectNode(id: string | null): Promise<void> {
    return this._view.select(this._selection.id, id);
  }

  /** Fetch the selected node's detail again (after it finished running). */
  reloadDetail(): Promise<void> {
    return this._view.reload(this._selection.id);
  }

  toggleCollapsed(id: string, collapsed?: boolean): void {
    this._view.toggleCollapsed(id, collapsed);
  }

  /** Collapse every node with children, or expand all. */
  setAllCollapsed(collapsed: boolean): void {
    this._view.setAllCollapsed(this._selection.tree, collapsed);
  }

  togglePicked(index: number): void {
    this._view.togglePicked(index);
  }

  /** The cells to insert for a cherry-pick: the ticked ones, in order. */
  pickedSources(): string[] {
    return this._view.pickedSources();
  }

  /** Handle one emission of `app.serviceManager.events.stream`; others are ignored. */
  handleEmission(emission: { schema_id?: string; [key: string]: any }): void {
    if (emission.schema_id !== SEARCH_EVENT_SCHEMA) {
      return;
    }
    this.applyEvent(emission as unknown as SearchEvent);
  }

  /** Apply one live event to the searches and the selected tree. */
  applyEvent(event: SearchEvent): void {
    switch (event.kind) {
      case 'search': {
        this._store.update(event.search_id, event.search);
        this._store.reorder();
        const tree = this._selection.tree;
        if (event.search_id === this._selection.id && tree) {
          if (tree.setLowerIsBetter(event.search.lower_is_better)) {
            this._treeChanged.emit();
          }
        }
        this._autoSelect();
        break;
      }
      case 'node': {
        if (event.search_id !== this._selection.id) {
          return;
        }
        if (this._selection.receive(event)) {
          this._treeChanged.emit();
          // nothing picked yet: show the best so far
          void this._view.showBest(
            event.search_id,
            this._selection.tree?.bestId ?? null
          );
        }
        break;
      }
      case 'removed': {
        this._store.remove(event.search_id);
        if (event.search_id === this._selection.id) {
          this._selection.clear();
        }
        this._store.reorder();
        break;
      }
    }
  }

  /** Ask the kernel which variables the search could use as data. */
  variables(kernelId: string): Promise<IVariable[]> {
    return this._client.variables(kernelId);
  }

  /** Start a search; selects it. Throws the server's message on bad input. */
  createSearch(request: ISearchRequest): Promise<ISearchSummary> {
    return this._actions.create(request);
  }

  stop(id: string): Promise<void> {
    return this._actions.act(id, 'stop');
  }

  pause(id: string): Promise<void> {
    return this._actions.act(id, 'pause');
  }

  /** Resume; on another kernel when `kernelId` is given (the old one restarted). */
  resume(id: string, kernelId?: string): Promise<void> {
    const body = kernelId ? { kernel_id: kernelId } : {};
    return this._actions.act(id, 'resume', body);
  }

  deleteSearch(id: string): Promise<void> {
    return this._actions.remove(id);
  }

  /** Fork a node with an instruction or edited code; the child is selected when it appears. */
  async fork(
    nodeId: string,
    body: { instruction?: string; code?: string },
    searchId: string | null = this._selection.id
  ): Promise<INodeSummary | null> {
    return searchId ? this._actions.fork(searchId, nodeId, body) : null;
  }

  /** Catch up with what the live events may have missed (resync.ts); true when it asked. */
  resync(minGapMs = 0): Promise<boolean> {
    return this._resync.run(minGapMs);
  }

  /** Call `resync` every `intervalMs` while the page is visible; `stopResync` ends it. */
  startResync(intervalMs = RESYNC_INTERVAL_MS): void {
    this._resync.start(intervalMs);
  }

  stopResync(): void {
    this._resync.stop();
  }

  dispose(): void {
    this.stopResync();
    this.form.dispose();
    Signal.clearData(this);
  }

  /** The selected search is gone from the list: select nothing. */
  private _dropVanishedSelection(): void {
    const id = this._selection.id;
    if (id && !this._store.has(id)) {
      this._selection.clear();
    }
  }

  private _fail(error: unknown): void {
    this._errorOccurred.emit((error as Error).message ?? String(error));
  }

  private _setState(state: ServerState): void {
    this._state = state;
    this._stateChanged.emit(state);
  }

  private readonly _client: AideClient;
  private readonly _view: NodeView;
  private readonly _selection: SearchSelection;
  private readonly _store: SearchStore;
  private readonly _resync: Resync;
  private readonly _actions: SearchActions;
  private _state: ServerState = { kind: 'loading' };
  private _autoSelected = false;
  private readonly _stateChanged = new Signal<this, ServerState>(this);
  private readonly _searchesChanged = new Signal<this, void>(this);
  private readonly _treeChanged = new Signal<this, void>(this);
  private readonly _nodeChanged = new Signal<this, void>(this);
  private readonly _errorOccurred = new Signal<this, string>(this);
  private _notebookPath: string | null = null;
}
