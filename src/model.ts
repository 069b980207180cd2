import { ServerConnection } from '@jupyterlab/services';
import { ISignal, Signal } from '@lumino/signaling';

import { AideRequestError, requestAPI } from './api';
import {
  IFormSeed,
  IHealth,
  INodeDetail,
  INodeSummary,
  ISearchDetail,
  ISearchRequest,
  ISearchSummary,
  IVariable,
  SEARCH_EVENT_SCHEMA,
  SearchEvent,
  ServerState
} from './tokens';
import { SearchTree } from './tree';
import { compatible, FRONTEND_VERSION } from './version';

/** How to fix a server whose version does not match this panel. */
export function versionMismatchMessage(server: string): string {
  return (
    `The aide-jupyter server extension is version ${server} but this panel is ${FRONTEND_VERSION}. ` +
    'Install one version in the environment that runs JupyterLab (pip install -U aide-jupyter), ' +
    'restart JupyterLab, then reload this page.'
  );
}

/** Order searches: those of the current kernel first, then the others; newest first in each. */
export function orderSearches(
  searches: Iterable<ISearchSummary>,
  kernelId: string | null
): ISearchSummary[] {
  return Array.from(searches).sort((a, b) => {
    const ka = kernelId !== null && a.kernel_id === kernelId ? 0 : 1;
    const kb = kernelId !== null && b.kernel_id === kernelId ? 0 : 1;
    return ka - kb || (b.created ?? 0) - (a.created ?? 0);
  });
}

/** Was this search paused because its kernel went away (restart, shutdown, death)? */
export function pausedByKernel(search: ISearchSummary): boolean {
  return search.status === 'paused' && search.pause_cause === 'kernel';
}

/** Statuses in which a search still changes (its events matter). */
const ACTIVE_STATUSES: ReadonlySet<string> = new Set([
  'queued',
  'running',
  'stopping'
]);

/** Is the search still changing? */
export function isActive(search: ISearchSummary | null | undefined): boolean {
  return ACTIVE_STATUSES.has(search?.status ?? '');
}

/** How often an active search is fetched again, in case the event websocket dropped events. */
export const RESYNC_INTERVAL_MS = 10_000;

/** The state of the node detail pane. */
export type DetailState =
  | { kind: 'none' }
  | { kind: 'loading'; nodeId: string }
  | { kind: 'ready'; node: INodeDetail }
  | { kind: 'error'; nodeId: string; message: string };

/**
 * The panel's state, outside React: the server, the searches, the selected search's tree and the
 * selected node, kept current by live events from jupyter_server's event bus.
 */
export class AideModel {
  constructor(
    private readonly _settings: ServerConnection.ISettings = ServerConnection.makeSettings()
  ) {}

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
    return this._orderedSearches;
  }

  get kernelId(): string | null {
    return this._kernelId;
  }

  get notebookPath(): string | null {
    return this._notebookPath;
  }

  get selectedSearch(): ISearchSummary | null {
    return this._selectedId
      ? (this._searches.get(this._selectedId) ?? null)
      : null;
  }

  get tree(): SearchTree | null {
    return this._tree;
  }

  get treeLoading(): boolean {
    return this._treeLoading;
  }

  get collapsed(): ReadonlySet<string> {
    return this._collapsed;
  }

  get selectedNodeId(): string | null {
    return this._selectedNodeId;
  }

  get selectedNode(): INodeSummary | null {
    return this._selectedNodeId && this._tree
      ? (this._tree.get(this._selectedNodeId) ?? null)
      : null;
  }

  get detail(): DetailState {
    return this._detail;
  }

  /** Is the new-search form open? (Panel state, toggled by the New search command.) */
  get formOpen(): boolean {
    return this._formOpen;
  }

  get formChanged(): ISignal<this, boolean> {
    return this._formChanged;
  }

  /**
   * Open or close the form. `seed`: start from this notebook cell's code ("Improve this cell with
   * AIDE"); a plain open starts from a blank page. Closing forgets the seed.
   */
  showForm(open: boolean, seed: IFormSeed | null = null): void {
    const seedChanged = open && seed !== this._formSeed;
    this._formSeed = open ? seed : null;
    if (open !== this._formOpen || seedChanged) {
      this._formOpen = open;
      this._formChanged.emit(open);
    }
  }

  /** The cell the open form starts from, or null for a blank-page search. */
  get formSeed(): IFormSeed | null {
    return this._formSeed;
  }

  /** Indices of the cells ticked for a cherry-pick, in the selected node. */
  get pickedCells(): ReadonlySet<number> {
    return this._picked;
  }

  /** Ask the server extension whether it is there, then list the searches; never throws. */
  async refresh(): Promise<ServerState> {
    this._setState({ kind: 'loading' });
    try {
      const health = await this._request<IHealth>('health');
      if (!compatible(health.version)) {
        this._setState({
          kind: 'error',
          message: versionMismatchMessage(health.version)
        });
        return this._state;
      }
      this._setState({ kind: 'ready', health });
    } catch (error) {
      if (error instanceof AideRequestError && error.serverExtensionMissing) {
        this._setState({ kind: 'missing', message: error.message });
      } else {
        this._setState({ kind: 'error', message: (error as Error).message });
      }
      return this._state;
    }
    await this.loadSearches();
    return this._state;
  }

  /** GET the searches; keeps the selection when it still exists. */
  async loadSearches(): Promise<void> {
    try {
      const answer = await this._request<{ searches: ISearchSummary[] }>(
        'searches'
      );
      this._searches.clear();
      for (const search of answer.searches) {
        this._searches.set(search.id, search);
      }
      this._searchesLoaded = true;
      this._reorder();
      if (this._selectedId && !this._searches.has(this._selectedId)) {
        this._clearSelection();
      }
      this._autoSelect();
    } catch (error) {
      this._fail(error);
    }
  }

  get searchesLoaded(): boolean {
    return this._searchesLoaded;
  }

  /** The current notebook's kernel and path (from the notebook tracker). */
  setContext(kernelId: string | null, notebookPath: string | null): void {
    if (kernelId === this._kernelId && notebookPath === this._notebookPath) {
      return;
    }
    this._kernelId = kernelId;
    this._notebookPath = notebookPath;
    this._reorder();
    this._autoSelect();
  }

  /**
   * Follow the newest search of the current notebook's kernel while the user has chosen nothing
   * (no selection, or only one made here), so a search started with `%aide optimize` shows its
   * tree without a click. A search the user picked is never replaced.
   */
  private _autoSelect(): void {
    if (
      this._kernelId === null ||
      (this._selectedId !== null && !this._autoSelected)
    ) {
      return;
    }
    const mine = orderSearches(this._searches.values(), this._kernelId).find(
      search => search.kernel_id === this._kernelId
    );
    if (mine && mine.id !== this._selectedId) {
      const selecting = this.selectSearch(mine.id);
      this._autoSelected = true; // after selectSearch's synchronous start, which clears it
      void selecting;
    }
  }

  /** Select a search: GET its nodes, then apply the live events that arrived meanwhile. */
  async selectSearch(id: string | null): Promise<void> {
    this._autoSelected = false;
    if (id === this._selectedId && (this._tree || this._treeLoading)) {
      return;
    }
    this._clearSelection();
    if (id === null) {
      return;
    }
    this._selectedId = id;
    this._treeLoading = true;
    this._pending = [];
    this._treeChanged.emit();
    const token = ++this._selectToken;
    let openOn: string | null = null; // the best node, shown when the tree arrives
    try {
      const detail = await this._request<ISearchDetail>(
        `searches/${encodeURIComponent(id)}`
      );
      if (token !== this._selectToken) {
        return;
      }
      const { nodes, ...summary } = detail;
      this._searches.set(id, summary);
      this._tree = new SearchTree(nodes, summary.lower_is_better ?? null);
      const pending = this._pending ?? [];
      this._pending = null;
      for (const event of pending) {
        this._applyToTree(event);
      }
      this._reorder();
      openOn = this._selectedNodeId === null ? this._tree.bestId : null;
    } catch (error) {
      if (token === this._selectToken) {
        this._fail(error);
      }
    } finally {
      if (token === this._selectToken) {
        this._treeLoading = false;
        this._pending = null;
        this._treeChanged.emit();
      }
    }
    if (openOn !== null && token === this._selectToken) {
      await this.selectNode(openOn);
    }
  }

  /** Select a node and fetch its detail (code, output, analysis, the parent's code). */
  async selectNode(id: string | null): Promise<void> {
    if (id === this._selectedNodeId) {
      return;
    }
    this._selectedNodeId = id;
    this._picked = new Set();
    const search = this._selectedId;
    if (id === null || search === null) {
      this._setDetail({ kind: 'none' });
      return;
    }
    await this._fetchDetail(search, id);
  }

  /** Fetch the selected node's detail again (after it finished running). */
  async reloadDetail(): Promise<void> {
    if (this._selectedId && this._selectedNodeId) {
      await this._fetchDetail(this._selectedId, this._selectedNodeId);
    }
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
    this._treeChanged.emit();
  }

  /** Collapse every node with children, or expand all. */
  setAllCollapsed(collapsed: boolean): void {
    const next = new Set<string>();
    if (collapsed && this._tree) {
      for (const node of this._tree.nodes()) {
        if (this._tree.children(node.id).length > 0) {
          next.add(node.id);
        }
      }
    }
    this._collapsed = next;
    this._treeChanged.emit();
  }

  togglePicked(index: number): void {
    const next = new Set(this._picked);
    if (next.has(index)) {
      next.delete(index);
    } else {
      next.add(index);
    }
    this._picked = next;
    this._nodeChanged.emit();
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
        this._bumpSeq(event.search_id);
        this._searches.set(event.search_id, {
          ...this._searches.get(event.search_id),
          ...event.search
        });
        this._reorder();
        if (event.search_id === this._selectedId && this._tree) {
          if (this._tree.setLowerIsBetter(event.search.lower_is_better)) {
            this._treeChanged.emit();
          }
        }
        this._autoSelect();
        break;
      }
      case 'node': {
        if (event.search_id !== this._selectedId) {
          return;
        }
        if (this._pending) {
          this._pending.push(event);
          return;
        }
        if (this._applyToTree(event)) {
          this._treeChanged.emit();
          if (this._selectedNodeId === null && this._tree?.bestId) {
            void this.selectNode(this._tree.bestId); // nothing chosen yet: show the best so far
          }
        }
        break;
      }
      case 'removed': {
        this._bumpSeq(event.search_id);
        this._searches.delete(event.search_id);
        if (event.search_id === this._selectedId) {
          this._clearSelection();
        }
        this._reorder();
        break;
      }
    }
  }

  /** Ask the kernel which variables the search could use as data. */
  async variables(kernelId: string): Promise<IVariable[]> {
    const answer = await this._request<{ variables: IVariable[] }>(
      `kernels/${encodeURIComponent(kernelId)}/variables`
    );
    return answer.variables;
  }

  /** Start a search; selects it. Throws the server's message on bad input. */
  async createSearch(request: ISearchRequest): Promise<ISearchSummary> {
    const search = await this._request<ISearchSummary>('searches', {
      method: 'POST',
      body: JSON.stringify(request)
    });
    this._bumpSeq(search.id);
    this._searches.set(search.id, search);
    this._reorder();
    await this.selectSearch(search.id);
    return search;
  }

  stop(id: string): Promise<void> {
    return this._action(id, 'stop');
  }

  pause(id: string): Promise<void> {
    return this._action(id, 'pause');
  }

  /** Resume; on another kernel when `kernelId` is given (the old one restarted). */
  resume(id: string, kernelId?: string): Promise<void> {
    return this._action(id, 'resume', kernelId ? { kernel_id: kernelId } : {});
  }

  async deleteSearch(id: string): Promise<void> {
    try {
      await this._request(`searches/${encodeURIComponent(id)}`, {
        method: 'DELETE'
      });
      this.applyEvent({ kind: 'removed', search_id: id });
    } catch (error) {
      this._fail(error);
    }
  }

  /** Fork a node with an instruction or edited code; the child is selected when it appears. */
  async fork(
    nodeId: string,
    body: { instruction?: string; code?: string },
    searchId: string | null = this._selectedId
  ): Promise<INodeSummary | null> {
    if (!searchId) {
      return null;
    }
    try {
      const child = await this._request<INodeSummary>(
        `searches/${encodeURIComponent(searchId)}/nodes/${encodeURIComponent(nodeId)}/fork`,
        { method: 'POST', body: JSON.stringify(body) }
      );
      if (searchId === this._selectedId && this._tree) {
        this.applyEvent({ kind: 'node', search_id: searchId, node: child });
      }
      return child;
    } catch (error) {
      this._fail(error);
      return null;
    }
  }

  /**
   * Catch up with what the events may have missed (the event websocket reconnects silently):
   * while a search is active, GET the summaries, and the selected search's nodes when it is
   * active. Cheap: does nothing when no search is active, or when the last catch-up is more
   * recent than `minGapMs`. Summaries changed by an event during the GET keep the event's
   * version; nodes merge like events (a finished node never goes back to running).
   * Returns true when it asked the server.
   */
  async resync(minGapMs = 0): Promise<boolean> {
    const now = Date.now();
    if (
      this._resyncing ||
      this._state.kind !== 'ready' ||
      now - this._lastResync < minGapMs
    ) {
      return false;
    }
    const selectedId = this._selectedId;
    const selectedActive = isActive(this.selectedSearch);
    if (!selectedActive && !this.searches.some(isActive)) {
      return false;
    }
    this._resyncing = true;
    this._lastResync = now;
    const seq = new Map(this._eventSeq);
    const unchanged = (id: string) =>
      (seq.get(id) ?? 0) === (this._eventSeq.get(id) ?? 0);
    const selectToken = this._selectToken;
    try {
      const [list, detail] = await Promise.all([
        this._request<{ searches: ISearchSummary[] }>('searches'),
        selectedActive && selectedId
          ? this._request<ISearchDetail>(
              `searches/${encodeURIComponent(selectedId)}`
            )
          : Promise.resolve(null)
      ]);
      const listed = new Set<string>();
      for (const search of list.searches) {
        listed.add(search.id);
        if (unchanged(search.id)) {
          this._searches.set(search.id, search);
        }
      }
      for (const id of Array.from(this._searches.keys())) {
        if (!listed.has(id) && unchanged(id)) {
          this._searches.delete(id);
        }
      }
      if (this._selectedId && !this._searches.has(this._selectedId)) {
        this._clearSelection();
      }
      let treeChanged = false;
      if (
        detail &&
        selectToken === this._selectToken &&
        detail.id === this._selectedId &&
        this._tree &&
        !this._pending
      ) {
        const { nodes, ...summary } = detail;
        if (unchanged(detail.id)) {
          this._searches.set(detail.id, summary);
        }
        for (const node of nodes) {
          treeChanged =
            this._applyToTree({
              kind: 'node',
              search_id: detail.id,
              node
            }) || treeChanged;
        }
        treeChanged =
          this._tree.setLowerIsBetter(
            this._searches.get(detail.id)?.lower_is_better
          ) || treeChanged;
      }
      this._reorder();
      if (treeChanged) {
        this._treeChanged.emit();
      }
    } catch {
      // The server is unreachable for now: the next tick tries again, quietly.
    } finally {
      this._resyncing = false;
    }
    return true;
  }

  /** Call `resync` every `intervalMs` while the page is visible; `stopResync` ends it. */
  startResync(intervalMs = RESYNC_INTERVAL_MS): void {
    this.stopResync();
    this._resyncTimer = setInterval(() => {
      if (
        typeof document === 'undefined' ||
        document.visibilityState !== 'hidden'
      ) {
        void this.resync();
      }
    }, intervalMs);
  }

  stopResync(): void {
    if (this._resyncTimer !== null) {
      clearInterval(this._resyncTimer);
      this._resyncTimer = null;
    }
  }

  dispose(): void {
    this.stopResync();
    Signal.clearData(this);
  }

  private _bumpSeq(id: string): void {
    this._eventSeq.set(id, (this._eventSeq.get(id) ?? 0) + 1);
  }

  private async _fetchDetail(search: string, id: string): Promise<void> {
    const token = ++this._detailToken;
    this._setDetail({ kind: 'loading', nodeId: id });
    try {
      const node = await this._request<INodeDetail>(
        `searches/${encodeURIComponent(search)}/nodes/${encodeURIComponent(id)}`
      );
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

  private async _action(
    id: string,
    verb: string,
    body?: object
  ): Promise<void> {
    try {
      const search = await this._request<ISearchSummary>(
        `searches/${encodeURIComponent(id)}/${verb}`,
        { method: 'POST', body: JSON.stringify(body ?? {}) }
      );
      this.applyEvent({ kind: 'search', search_id: id, search });
    } catch (error) {
      this._fail(error);
    }
  }

  /** Returns true when the tree changed. Refetches the open detail when its node finished. */
  private _applyToTree(event: SearchEvent): boolean {
    if (event.kind !== 'node' || !this._tree) {
      return false;
    }
    const before = this._tree.get(event.node.id);
    const changed = this._tree.upsert(event.node);
    if (
      changed &&
      event.node.id === this._selectedNodeId &&
      before?.status !== this._tree.get(event.node.id)?.status
    ) {
      void this.reloadDetail();
    }
    return changed;
  }

  private _clearSelection(): void {
    this._selectToken++;
    this._detailToken++;
    this._selectedId = null;
    this._tree = null;
    this._treeLoading = false;
    this._pending = null;
    this._collapsed = new Set();
    this._selectedNodeId = null;
    this._picked = new Set();
    this._detail = { kind: 'none' };
    this._treeChanged.emit();
    this._nodeChanged.emit();
  }

  private _setDetail(detail: DetailState): void {
    this._detail = detail;
    this._nodeChanged.emit();
  }

  private _reorder(): void {
    this._orderedSearches = orderSearches(
      this._searches.values(),
      this._kernelId
    );
    this._searchesChanged.emit();
  }

  private _fail(error: unknown): void {
    this._errorOccurred.emit((error as Error).message ?? String(error));
  }

  private _request<T>(endPoint: string, init: RequestInit = {}): Promise<T> {
    return requestAPI<T>(endPoint, { method: 'GET', ...init }, this._settings);
  }

  private _setState(state: ServerState): void {
    this._state = state;
    this._stateChanged.emit(state);
  }

  private _state: ServerState = { kind: 'loading' };
  private _autoSelected = false;
  private readonly _stateChanged = new Signal<this, ServerState>(this);
  private readonly _searchesChanged = new Signal<this, void>(this);
  private readonly _treeChanged = new Signal<this, void>(this);
  private readonly _nodeChanged = new Signal<this, void>(this);
  private readonly _errorOccurred = new Signal<this, string>(this);
  private readonly _searches = new Map<string, ISearchSummary>();
  private _searchesLoaded = false;
  private _orderedSearches: ISearchSummary[] = [];
  private _kernelId: string | null = null;
  private _notebookPath: string | null = null;
  private _selectedId: string | null = null;
  private _selectToken = 0;
  private _detailToken = 0;
  private _tree: SearchTree | null = null;
  private _treeLoading = false;
  private _pending: SearchEvent[] | null = null;
  private _collapsed: ReadonlySet<string> = new Set();
  private _selectedNodeId: string | null = null;
  private _detail: DetailState = { kind: 'none' };
  private _picked: ReadonlySet<number> = new Set();
  private _formOpen = false;
  private _formSeed: IFormSeed | null = null;
  private _resyncing = false;
  private _lastResync = 0;
  private _resyncTimer: ReturnType<typeof setInterval> | null = null;
  private readonly _eventSeq = new Map<string, number>();
  private readonly _formChanged = new Signal<this, boolean>(this);
}
