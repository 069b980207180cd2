/** What `GET /aide/health` answers. */
export interface IHealth {
  name: string;
  version: string;
  coders: string[];
}

/** The panel's view of the server: loading, reachable, or an error with its fix. */
export type ServerState =
  | { kind: 'loading' }
  | { kind: 'ready'; health: IHealth }
  | { kind: 'missing'; message: string }
  | { kind: 'error'; message: string };
