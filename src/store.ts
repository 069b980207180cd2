/**
 * The searches the panel knows: by id, in panel order (the current kernel's first), with a count
 * of the events applied to each, so a catch-up GET never overwrites what an event changed while
 * it was in flight. Part of `AideModel`; `changed` emits its `searchesChanged`.
 */
import { orderSearches } from './searches';
import { ISearchSummary } from './tokens';

/** Events applied per search, at one moment (see `SearchStore.snapshot`). */
export type EventCounts = ReadonlyMap<string, number>;

export class SearchStore {
  constructor(private readonly _changed: () => void) {}

  /** The searches, current kernel's first, newest first. */
  get ordered(): ISearchSummary[] {
    return this._ordered;
  }

  /** Has a list arrived from the server yet? */
  get loaded(): boolean {
    return this._loaded;
  }

  get kernelId(): string | null {
    return this._kernelId;
  }

  get(id: string): ISearchSummary | undefined {
    return this._searches.get(id);
  }

  has(id: string): boolean {
    return this._searches.has(id);
  }

  values(): IterableIterator<ISearchSummary> {
    return this._searches.values();
  }

  /** The server's whole list (a fresh GET). */
  replaceAll(searches: ISearchSummary[]): void {
    this._searches.clear();
    for (const search of searches) {
      this._searches.set(search.id, search);
    }
    this._loaded = true;
    this.reorder();
  }

  /** A summary as the server sent it (no event). */
  put(summary: ISearchSummary): void {
    this._searches.set(summary.id, summary);
  }

  /** What an event (or an action's answer) says about a search: counted, merged. */
  update(id: string, search: ISearchSummary): void {
    this._bump(id);
    this._searches.set(id, { ...this._searches.get(id), ...search });
  }

  /** The search is gone (an event or a DELETE). */
  remove(id: string): void {
    this._bump(id);
    this._searches.delete(id);
  }

  setKernel(kernelId: string | null): void {
    this._kernelId = kernelId;
  }

  snapshot(): EventCounts {
    return new Map(this._eventSeq);
  }

  /** Was no event applied to `id` since `before`? */
  unchangedSince(before: EventCounts, id: string): boolean {
    return (before.get(id) ?? 0) === (this._eventSeq.get(id) ?? 0);
  }

  /**
   * Merge a list fetched since `before`: listed searches replace ours, missing ones go, except
   * those an event changed meanwhile (the event is newer).
   */
  merge(searches: ISearchSummary[], before: EventCounts): void {
    const listed = new Set<string>();
    for (const search of searches) {
      listed.add(search.id);
      if (this.unchangedSince(before, search.id)) {
        this._searches.set(search.id, search);
      }
    }
    for (const id of Array.from(this._searches.keys())) {
      if (!listed.has(id) && this.unchangedSince(before, id)) {
        this._searches.delete(id);
      }
    }
  }

  /** Order again (after changes, or another kernel) and tell the panel. */
  reorder(): void {
    this._ordered = orderSearches(this._searches.values(), this._kernelId);
    this._changed();
  }

  private _bump(id: string): void {
    this._eventSeq.set(id, (this._eventSeq.get(id) ?? 0) + 1);
  }

  private readonly _searches = new Map<string, ISearchSummary>();
  private readonly _eventSeq = new Map<string, number>();
  private _ordered: ISearchSummary[] = [];
  private _loaded = false;
  private _kernelId: string | null = null;
}
