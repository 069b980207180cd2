/**
 * The panel's API client against a real HTTP server on 127.0.0.1 (Node's http module).
 */
import { ServerConnection } from '@jupyterlab/services';
import * as http from 'http';
import { AddressInfo } from 'net';

import { AideRequestError, requestAPI, SERVER_EXTENSION_MISSING } from '../api';
import { AideModel } from '../model';
import { FRONTEND_VERSION } from '../version';

type Route = (req: http.IncomingMessage, res: http.ServerResponse) => void;

let server: http.Server;
let routes: Record<string, Route> = {};
const seen: http.IncomingMessage[] = [];

function settingsFor(baseUrl: string): ServerConnection.ISettings {
  return ServerConnection.makeSettings({ baseUrl, token: 'secret-token' });
}

/** The error a request fails with; fails the test if it succeeds. */
async function failure(request: Promise<unknown>): Promise<AideRequestError> {
  try {
    await request;
  } catch (error) {
    expect(error).toBeInstanceOf(AideRequestError);
    return error as AideRequestError;
  }
  throw new Error('the request was expected to fail');
}

function baseUrl(): string {
  const { port } = server.address() as AddressInfo;
  return `http://127.0.0.1:${port}/`;
}

beforeAll(async () => {
  server = http.createServer(
    (req: http.IncomingMessage, res: http.ServerResponse) => {
      seen.push(req);
      const route = routes[req.url?.split('?')[0] ?? ''];
      if (route) {
        route(req, res);
      } else {
        res.writeHead(404, { 'Content-Type': 'text/html' });
        res.end('<html>404: Not Found</html>');
      }
    }
  );
  await new Promise<void>(resolve => server.listen(0, '127.0.0.1', resolve));
});

afterAll(async () => {
  await new Promise<void>(resolve => server.close(() => resolve()));
});

beforeEach(() => {
  routes = {};
  seen.length = 0;
});

describe('requestAPI', () => {
  it('returns the parsed JSON body and sends the token', async () => {
    routes['/aide/health'] = (req, res) => {
      res.writeHead(200, { 'Content-Type': 'application/json' });
      res.end(
        JSON.stringify({
          name: 'aide_jupyter',
          version: '9.9.9',
          coders: ['builtin']
        })
      );
    };
    const health = await requestAPI<{ version: string }>(
      'health',
      {},
      settingsFor(baseUrl())
    );
    expect(health.version).toBe('9.9.9');
    expect(seen[0].headers.authorization).toBe('token secret-token');
  });

  it('turns a bare 404 into the "server extension missing" error with the fix', async () => {
    const error = await failure(
      requestAPI('health', {}, settingsFor(baseUrl()))
    );
    expect(error.serverExtensionMissing).toBe(true);
    expect(error.message).toBe(SERVER_EXTENSION_MISSING);
    expect(error.message).toContain('jupyter server extension list');
  });

  it("keeps the server's own {error, message} for other failures", async () => {
    routes['/aide/searches'] = (req, res) => {
      res.writeHead(400, { 'Content-Type': 'application/json' });
      res.end(
        JSON.stringify({
          error: 'bad_request',
          message: 'goal: must not be empty'
        })
      );
    };
    const error = await failure(
      requestAPI(
        'searches',
        { method: 'POST', body: '{}' },
        settingsFor(baseUrl())
      )
    );
    expect(error).toBeInstanceOf(AideRequestError);
    expect(error.status).toBe(400);
    expect(error.code).toBe('bad_request');
    expect(error.message).toBe('goal: must not be empty');
    expect(error.serverExtensionMissing).toBe(false);
  });
});

describe('AideModel', () => {
  it('moves from loading to ready and signals each change', async () => {
    routes['/aide/health'] = (req, res) => {
      res.writeHead(200, { 'Content-Type': 'application/json' });
      res.end(
        JSON.stringify({
          name: 'aide_jupyter',
          version: FRONTEND_VERSION,
          coders: ['builtin', 'openai']
        })
      );
    };
    const model = new AideModel(settingsFor(baseUrl()));
    const kinds: string[] = [];
    model.stateChanged.connect((_, state) => kinds.push(state.kind));
    const state = await model.refresh();
    expect(kinds).toEqual(['loading', 'ready']);
    expect(state.kind).toBe('ready');
    expect(state.kind === 'ready' && state.health.coders).toEqual([
      'builtin',
      'openai'
    ]);
  });

  it('reports a missing server extension instead of throwing', async () => {
    const model = new AideModel(settingsFor(baseUrl()));
    const state = await model.refresh();
    expect(state).toEqual({
      kind: 'missing',
      message: SERVER_EXTENSION_MISSING
    });
  });

  it('reports an unreachable server as an error', async () => {
    const model = new AideModel(settingsFor('http://127.0.0.1:1/'));
    const state = await model.refresh();
    expect(state.kind).toBe('error');
  });
});
