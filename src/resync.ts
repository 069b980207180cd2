/**
 * Catching up with what the live events may have missed (the event websocket reconnects
 * silently): while a search is active, GET the summaries, and the selected search's nodes when it
 * is active; merge them without undoing newer events. Part of `AideModel`.
 */
import { AideClient } from './client';
import { isActive } from './searches';
import { SearchSelection } from './selection';
import { SearchStore } from './store';

/** How often an active search is fetched again, in case the event websocket dropped events. */
export const RESYNC_INTERVAL_MS = 10_000;

/** What the catch-up asks of the model. */
export interface IResyncHooks {
  /** Is the server there (no catch-up otherwise)? */
  ready(): boolean;
  /** The list was merged: drop the selection if its search is gone. */
  merged(): void;
  /** All merged: tell the panel (`treeChanged`: the selected tree changed too). */
  done(treeChanged: boolean): void;
}

export class Resync {
  constructor(
    private readonly _client: AideClient,
    private readonly _store: SearchStore,
    private readonly _selection: SearchSelection,
    private readonly _hooks: IResyncHooks
  ) {}

  /**
   * Catch up once. Cheap: does nothing when no search is active, or when the last catch-up is
   * more recent than `minGapMs`. Summaries changed by an event during the GET keep the event's
   * version; nodes merge like events (a finished node never goes back to running).
   * Returns true when it asked the server.
   */
  async run(minGapMs = 0): Promise<boolean> {
    const now = Date.now();
    if (this._running || !this._hooks.ready() || now - this._last < minGapMs) {
      return false;
    }
    const store = this._store;
    const selection = this._selection;
    const selectedId = selection.id;
    const selectedActive = isActive(selectedId ? store.get(selectedId) : null);
    if (!selectedActive && !store.ordered.some(isActive)) {
      return false;
    }
    this._running = true;
    this._last = now;
    const before = store.snapshot();
    const selectToken = selection.token;
    try {
      const [list, detail] = await Promise.all([
        this._client.searches(),
        selectedActive && selectedId
          ? this._client.search(selectedId)
          : Promise.resolve(null)
      ]);
      store.merge(list, before);
      this._hooks.merged();
      let treeChanged = false;
      const tree = selection.tree;
      if (
        detail &&
        tree &&
        selectToken === selection.token &&
        detail.id === selection.id &&
        selection.ready
      ) {
        const { nodes, ...summary } = detail;
        if (store.unchangedSince(before, detail.id)) {
          store.put(summary);
        }
        for (const node of nodes) {
          treeChanged =
            selection.applyNode({ kind: 'node', search_id: detail.id, node }) ||
            treeChanged;
        }
        treeChanged =
          tree.setLowerIsBetter(store.get(detail.id)?.lower_is_better) ||
          treeChanged;
      }
      this._hooks.done(treeChanged);
    } catch {
      // The server is unreachable for now: the next tick tries again, quietly.
    } finally {
      this._running = false;
    }
    return true;
  }

  /** Catch up every `intervalMs` while the page is visible; `stop` ends it. */
  start(intervalMs = RESYNC_INTERVAL_MS): void {
    this.stop();
    this._timer = setInterval(() => {
      if (
        typeof document === 'undefined' ||
        document.visibilityState !== 'hidden'
      ) {
        void this.run();
      }
    }, intervalMs);
  }

  stop(): void {
    if (this._timer !== null) {
      clearInterval(this._timer);
      this._timer = null;
    }
  }

  private _running = false;
  private _last = 0;
  private _timer: ReturnType<typeof setInterval> | null = null;
}
