import { ServerConnection } from '@jupyterlab/services';
import { ISignal, Signal } from '@lumino/signaling';

import { AideRequestError, requestAPI } from './api';
import { IHealth, ServerState } from './tokens';

/**
 * The panel's state, outside React: what the server said, and a signal when it changes.
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

  /** Ask the server extension whether it is there; never throws. */
  async refresh(): Promise<ServerState> {
    this._setState({ kind: 'loading' });
    try {
      const health = await requestAPI<IHealth>(
        'health',
        { method: 'GET' },
        this._settings
      );
      this._setState({ kind: 'ready', health });
    } catch (error) {
      if (error instanceof AideRequestError && error.serverExtensionMissing) {
        this._setState({ kind: 'missing', message: error.message });
      } else {
        this._setState({ kind: 'error', message: (error as Error).message });
      }
    }
    return this._state;
  }

  private _setState(state: ServerState): void {
    this._state = state;
    this._stateChanged.emit(state);
  }

  private _state: ServerState = { kind: 'loading' };
  private readonly _stateChanged = new Signal<this, ServerState>(this);
}
