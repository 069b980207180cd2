/**
 * Whether the New search form is open, and the notebook cell it starts from ("Improve this cell
 * with AIDE"). Panel state kept beside `AideModel` (as `model.form`), outside React, so commands
 * can open the form and the panel can make room for it.
 */
import { ISignal, Signal } from '@lumino/signaling';

import { IFormSeed } from './tokens';

export class FormState {
  /** Is the form open? */
  get open(): boolean {
    return this._open;
  }

  /** Emits the new `open` when the form opens, closes, or opens on another seed. */
  get changed(): ISignal<this, boolean> {
    return this._changed;
  }

  /** The cell the open form starts from, or null for a blank-page search. */
  get seed(): IFormSeed | null {
    return this._seed;
  }

  /**
   * Open or close the form. `seed`: start from this notebook cell's code; a plain open starts
   * from a blank page. Closing forgets the seed.
   */
  show(open: boolean, seed: IFormSeed | null = null): void {
    const seedChanged = open && seed !== this._seed;
    this._seed = open ? seed : null;
    if (open !== this._open || seedChanged) {
      this._open = open;
      this._changed.emit(open);
    }
  }

  dispose(): void {
    Signal.clearData(this);
  }

  private _open = false;
  private _seed: IFormSeed | null = null;
  private readonly _changed = new Signal<this, boolean>(this);
}
