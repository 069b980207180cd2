/**
 * What the user asks of a search (start, stop, pause, resume, delete, fork): one REST call each,
 * whose answer is applied like the live event it stands for, so the panel changes at once. Part
 * of `AideModel`; errors go to its `errorOccurred` (start throws, for the form to show).
 */
import { AideClient } from './client';
import {
  INodeSummary,
  ISearchRequest,
  ISearchSummary,
  SearchEvent
} from './tokens';

/** The parts of the model an action's answer goes to. */
export interface IActionTarget {
  apply(event: SearchEvent): void;
  fail(error: unknown): void;
  selectSearch(id: string): Promise<void>;
  /** The selected search, when its tree is loaded (a fork's child then shows at once). */
  loadedSearchId(): string | null;
}

export class SearchActions {
  constructor(
    private readonly _client: AideClient,
    private readonly _target: IActionTarget
  ) {}

  /** Start a search and select it. Throws the server's message on bad input. */
  async create(request: ISearchRequest): Promise<ISearchSummary> {
    const search = await this._client.create(request);
    this._target.apply({ kind: 'search', search_id: search.id, search });
    await this._target.selectSearch(search.id);
    return search;
  }

  /** stop, pause or resume (`body`: e.g. the kernel to resume on). */
  async act(id: string, verb: string, body?: object): Promise<void> {
    try {
      const search = await this._client.act(id, verb, body);
      this._target.apply({ kind: 'search', search_id: id, search });
    } catch (error) {
      this._target.fail(error);
    }
  }

  async remove(id: string): Promise<void> {
    try {
      await this._client.remove(id);
      this._target.apply({ kind: 'removed', search_id: id });
    } catch (error) {
      this._target.fail(error);
    }
  }

  /** Fork a node with an instruction or edited code; null when the server refused. */
  async fork(
    searchId: string,
    nodeId: string,
    body: { instruction?: string; code?: string }
  ): Promise<INodeSummary | null> {
    try {
      const child = await this._client.fork(searchId, nodeId, body);
      if (searchId === this._target.loadedSearchId()) {
        this._target.apply({ kind: 'node', search_id: searchId, node: child });
      }
      return child;
    } catch (error) {
      this._target.fail(error);
      return null;
    }
  }
}
