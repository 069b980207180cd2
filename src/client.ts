/**
 * The server extension's routes, typed (docs/rest-api.md): one method per call, no state, so the
 * model above it only decides what to ask and what to do with the answer.
 */
import { ServerConnection } from '@jupyterlab/services';

import { requestAPI } from './api';
import {
  IHealth,
  INodeDetail,
  INodeSummary,
  ISearchDetail,
  ISearchRequest,
  ISearchSummary,
  IVariable
} from './tokens';

const q = encodeURIComponent;

export class AideClient {
  constructor(
    readonly settings: ServerConnection.ISettings = ServerConnection.makeSettings()
  ) {}

  health(): Promise<IHealth> {
    return this._request<IHealth>('health');
  }

  async searches(): Promise<ISearchSummary[]> {
    const answer = await this._request<{ searches: ISearchSummary[] }>(
      'searches'
    );
    return answer.searches;
  }

  /** The search's summary plus every node's summary. */
  search(id: string): Promise<ISearchDetail> {
    return this._request<ISearchDetail>(`searches/${q(id)}`);
  }

  node(searchId: string, nodeId: string): Promise<INodeDetail> {
    return this._request<INodeDetail>(
      `searches/${q(searchId)}/nodes/${q(nodeId)}`
    );
  }

  async variables(kernelId: string): Promise<IVariable[]> {
    const answer = await this._request<{ variables: IVariable[] }>(
      `kernels/${q(kernelId)}/variables`
    );
    return answer.variables;
  }

  create(request: ISearchRequest): Promise<ISearchSummary> {
    return this._request<ISearchSummary>('searches', {
      method: 'POST',
      body: JSON.stringify(request)
    });
  }

  /** `stop`, `pause` or `resume` a search; answers its new summary. */
  act(id: string, verb: string, body?: object): Promise<ISearchSummary> {
    return this._request<ISearchSummary>(`searches/${q(id)}/${verb}`, {
      method: 'POST',
      body: JSON.stringify(body ?? {})
    });
  }

  async remove(id: string): Promise<void> {
    await this._request(`searches/${q(id)}`, { method: 'DELETE' });
  }

  fork(
    searchId: string,
    nodeId: string,
    body: { instruction?: string; code?: string }
  ): Promise<INodeSummary> {
    return this._request<INodeSummary>(
      `searches/${q(searchId)}/nodes/${q(nodeId)}/fork`,
      { method: 'POST', body: JSON.stringify(body) }
    );
  }

  private _request<T>(endPoint: string, init: RequestInit = {}): Promise<T> {
    return requestAPI<T>(endPoint, { method: 'GET', ...init }, this.settings);
  }
}
