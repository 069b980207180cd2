/**
 * AideModel against a real HTTP server on 127.0.0.1 that speaks docs/rest-api.md.
 */
import { ServerConnection } from '@jupyterlab/services';
import * as fs from 'fs';
import * as http from 'http';
import { AddressInfo } from 'net';
import * as path from 'path';

import { AideModel, orderSearches, pausedByKernel } from '../model';
import { INodeSummary, ISearchSummary, SEARCH_EVENT_SCHEMA } from '../tokens';
import { compatible, FRONTEND_VERSION } from '../version';
import { nodeSummary } from './summaries';

type Handler = (
  body: any,
  req: http.IncomingMessage
) => [number, any] | Promise<[number, any]>;

let server: http.Server;
let routes: Record<string, Handler> = {};
const calls: Array<{ method: string; url: string; body: any }> = [];

function settings(): ServerConnection.ISettings {
  const { port } = server.address() as AddressInfo;
  return ServerConnection.makeSettings({
    baseUrl: `http://127.0.0.1:${port}/`,
    token: 't'
  });
}

beforeAll(async () => {
  server = http.createServer((req, res) => {
    let raw = '';
    req.on('data', chunk => (raw += chunk));
    req.on('end', async () => {
      const body = raw ? JSON.parse(raw) : null;
      const key = `${req.method} ${req.url?.split('?')[0]}`;
      calls.push({ method: req.method!, url: req.url!, body });
      const route = routes[key];
      if (!route) {
        res.writeHead(404, { 'Content-Type': 'application/json' });
        res.end(
          JSON.stringify({ error: 'not_found', message: `no route ${key}` })
        );
        return;
      }
      const [status, answer] = await route(body, req);
      res.writeHead(status, { 'Content-Type': 'application/json' });
      res.end(answer === undefined ? '' : JSON.stringify(answer));
    });
  });
  await new Promise<void>(resolve => server.listen(0, '127.0.0.1', resolve));
});

afterAll(async () => {
  await new Promise<void>(resolve => server.close(() => resolve()));
});

beforeEach(() => {
  calls.length = 0;
  routes = {
    'GET /aide/health': () => [
      200,
      { name: 'aide_jupyter', version: FRONTEND_VERSION, coders: ['builtin'] }
    ]
  };
});

function summary(
  id: string,
  extra: Partial<ISearchSummary> = {}
): ISearchSummary {
  return {
    id,
    status: 'running',
    goal: `goal ${id}`,
    kernel_id: 'k1',
    steps_done: 0,
    steps: 5,
    best: null,
    created: 1,
    journal_path: `aide-runs/${id}/journal.ipynb`,
    ...extra
  };
}

function node(
  id: string,
  step: number,
  parent: string | null,
  extra: Partial<INodeSummary> = {}
): INodeSummary {
  return nodeSummary(id, step, parent, { metric: 0.5 + step / 100, ...extra });
}

describe('version', () => {
  it('matches package.json and compares major.minor', () => {
    const pkg = JSON.parse(
      fs.readFileSync(path.join(__dirname, '..', '..', 'package.json'), 'utf8')
    );
    expect(FRONTEND_VERSION).toBe(pkg.version);
    expect(compatible('0.1.7', '0.1.0')).toBe(true);
    expect(compatible('0.2.0', '0.1.0')).toBe(false);
  });
});

describe('AideModel searches', () => {
  it('lists searches after the health check, current kernel first', async () => {
    routes['GET /aide/searches'] = () => [
      200,
      {
        searches: [
          summary('new-other', { kernel_id: 'k2', created: 30 }),
          summary('mine', { kernel_id: 'k1', created: 10 }),
          summary('old-other', { kernel_id: 'k2', created: 5 })
        ]
      }
    ];
    const model = new AideModel(settings());
    model.setContext('k1', 'a.ipynb');
    await model.refresh();
    expect(model.state.kind).toBe('ready');
    expect(model.searchesLoaded).toBe(true);
    expect(model.searches.map(s => s.id)).toEqual([
      'mine',
      'new-other',
      'old-other'
    ]);
    model.setContext('k2', 'b.ipynb');
    expect(model.searches.map(s => s.id)).toEqual([
      'new-other',
      'old-other',
      'mine'
    ]);
  });

  it('reports a server of another version with the fix', async () => {
    routes['GET /aide/health'] = () => [
      200,
      { name: 'aide_jupyter', version: '9.0.0', coders: [] }
    ];
    const model = new AideModel(settings());
    const state = await model.refresh();
    expect(state.kind).toBe('error');
    expect(state.kind === 'error' && state.message).toContain(
      'pip install -U aide-jupyter'
    );
  });

  it('knows a search paused by a kernel restart', () => {
    expect(
      pausedByKernel(
        summary('a', {
          status: 'paused',
          pause_cause: 'kernel',
          stop_reason: 'kernel restarted'
        })
      )
    ).toBe(true);
    expect(
      pausedByKernel(
        // the cause, not the wording, decides: a user's pause that mentions the kernel
        summary('a', {
          status: 'paused',
          pause_cause: 'user',
          stop_reason: 'paused: kernel busy'
        })
      )
    ).toBe(false);
    expect(
      pausedByKernel(summary('a', { status: 'running', pause_cause: null }))
    ).toBe(false);
    expect(orderSearches([], null)).toEqual([]);
  });
});

describe('AideModel tree and events', () => {
  it('selects a search, applies events that arrived during the GET, then live ones', async () => {
    let release: () => void = () => undefined;
    const gate = new Promise<void>(resolve => (release = resolve));
    routes['GET /aide/searches/s1'] = async () => {
      await gate;
      return [
        200,
        {
          ...summary('s1'),
          nodes: [
            node('a', 0, null, {
              status: 'running',
              is_buggy: null,
              metric: null
            })
          ]
        }
      ];
    };
    const model = new AideModel(settings());
    let treeSignals = 0;
    model.treeChanged.connect(() => treeSignals++);
    const selecting = model.selectSearch('s1');
    expect(model.treeLoading).toBe(true);
    // Sent while the GET is in flight: 'a' finished, 'b' queued.
    model.handleEmission({
      schema_id: SEARCH_EVENT_SCHEMA,
      kind: 'node',
      search_id: 's1',
      node: node('a', 0, null)
    });
    model.handleEmission({
      schema_id: SEARCH_EVENT_SCHEMA,
      kind: 'node',
      search_id: 's1',
      node: node('b', 1, 'a', {
        status: 'queued',
        is_buggy: null,
        metric: null
      })
    });
    model.handleEmission({
      schema_id: 'https://other/schema',
      kind: 'node',
      search_id: 's1',
      node: node('z', 9, null)
    });
    release();
    await selecting;
    const tree = model.tree!;
    expect(tree.get('a')!.status).toBe('done');
    expect(tree.children('a')).toEqual(['b']);
    expect(tree.get('z')).toBeUndefined();
    expect(tree.bestId).toBe('a');

    const before = treeSignals;
    model.applyEvent({
      kind: 'node',
      search_id: 's1',
      node: node('b', 1, 'a', { metric: 0.9 })
    });
    expect(treeSignals).toBe(before + 1);
    expect(tree.bestId).toBe('b');
    // Events of another search do not touch this tree.
    model.applyEvent({
      kind: 'node',
      search_id: 'other',
      node: node('q', 0, null)
    });
    expect(tree.get('q')).toBeUndefined();
    // A search event updates the summary; a removed event clears the selection.
    model.applyEvent({
      kind: 'search',
      search_id: 's1',
      search: summary('s1', { status: 'done', steps_done: 2 })
    });
    expect(model.selectedSearch!.status).toBe('done');
    model.applyEvent({ kind: 'removed', search_id: 's1' });
    expect(model.tree).toBeNull();
    expect(model.selectedSearch).toBeNull();
  });

  it("follows the current kernel's newest search and opens on its best node", async () => {
    routes['GET /aide/searches'] = () => [
      200,
      {
        searches: [
          summary('other', { kernel_id: 'k2', created: 30 }),
          summary('mine-old', { kernel_id: 'k1', created: 5 }),
          summary('mine', { kernel_id: 'k1', created: 10 })
        ]
      }
    ];
    routes['GET /aide/searches/mine'] = () => [
      200,
      {
        ...summary('mine', { lower_is_better: false }),
        nodes: [
          node('a', 0, null),
          node('b', 1, 'a'),
          node('c', 2, 'a', { is_buggy: true })
        ]
      }
    ];
    routes['GET /aide/searches/mine/nodes/b'] = () => [
      200,
      {
        ...node('b', 1, 'a'),
        plan: 'p',
        code: 'x',
        output: '',
        analysis: '',
        cells: ['x'],
        parent_code: 'y'
      }
    ];
    const model = new AideModel(settings());
    const selected = new Promise<void>(resolve =>
      model.nodeChanged.connect(() => {
        if (model.detail.kind === 'ready') {
          resolve();
        }
      })
    );
    model.setContext('k1', 'a.ipynb');
    await model.refresh();
    await selected;
    expect(model.selectedSearch?.id).toBe('mine');
    expect(model.selectedNodeId).toBe('b');

    // Chosen automatically: a newer search on this kernel takes over (a new %aide optimize) ...
    routes['GET /aide/searches/later'] = () => [
      200,
      { ...summary('later', { kernel_id: 'k1', created: 99 }), nodes: [] }
    ];
    model.applyEvent({
      kind: 'search',
      search_id: 'later',
      search: summary('later', { kernel_id: 'k1', created: 99 })
    });
    expect(model.selectedSearch?.id).toBe('later');

    // A search with no good node yet opens on nothing, then on the first good node to finish.
    routes['GET /aide/searches/fresh'] = () => [
      200,
      {
        ...summary('fresh', { lower_is_better: false }),
        nodes: [node('q', 0, null, { status: 'running', metric: null })]
      }
    ];
    routes['GET /aide/searches/fresh/nodes/q'] = () => [
      200,
      {
        ...node('q', 0, null),
        plan: 'p',
        code: 'x',
        output: '',
        analysis: '',
        cells: ['x'],
        parent_code: null
      }
    ];
    await model.selectSearch('fresh');
    expect(model.selectedNodeId).toBeNull();
    model.applyEvent({
      kind: 'node',
      search_id: 'fresh',
      node: node('q', 0, null)
    });
    expect(model.selectedNodeId).toBe('q');
    // Still nothing picked by the user: a better node takes over the detail ...
    routes['GET /aide/searches/fresh/nodes/r'] = () => [
      200,
      {
        ...node('r', 1, 'q'),
        plan: 'p',
        code: 'x',
        output: '',
        analysis: '',
        cells: ['x'],
        parent_code: 'x'
      }
    ];
    model.applyEvent({
      kind: 'node',
      search_id: 'fresh',
      node: node('r', 1, 'q', { metric: 0.99 })
    });
    expect(model.selectedNodeId).toBe('r');
    // ... until the user picks a node: then a newer best leaves it alone.
    await model.selectNode('q');
    model.applyEvent({
      kind: 'node',
      search_id: 'fresh',
      node: node('s', 2, 'r', { metric: 0.999 })
    });
    expect(model.tree?.bestId).toBe('s');
    expect(model.selectedNodeId).toBe('q');
    await model.selectSearch('mine');

    // ... but a search the user picked is kept.
    await model.selectSearch('mine');
    model.applyEvent({
      kind: 'search',
      search_id: 'newest',
      search: summary('newest', { kernel_id: 'k1', created: 120 })
    });
    expect(model.selectedSearch?.id).toBe('mine');
  });

  it('fetches the node detail on selection, and cherry-picks ticked cells in order', async () => {
    routes['GET /aide/searches/s1'] = () => [
      200,
      { ...summary('s1'), nodes: [node('a', 0, null)] }
    ];
    routes['GET /aide/searches/s1/nodes/a'] = () => [
      200,
      {
        ...node('a', 0, null),
        plan: 'p',
        code: 'x',
        output: 'o',
        analysis: 'r',
        cells: ['c0', 'c1', 'c2'],
        parent_code: null
      }
    ];
    const model = new AideModel(settings());
    await model.selectSearch('s1');
    await model.selectNode('a');
    expect(model.detail.kind).toBe('ready');
    model.togglePicked(2);
    model.togglePicked(0);
    model.togglePicked(1);
    model.togglePicked(1);
    expect(model.pickedSources()).toEqual(['c0', 'c2']);
  });

  it('shows a detail error instead of throwing', async () => {
    routes['GET /aide/searches/s1'] = () => [
      200,
      { ...summary('s1'), nodes: [node('a', 0, null)] }
    ];
    const model = new AideModel(settings());
    await model.selectSearch('s1');
    await model.selectNode('a');
    expect(model.detail.kind).toBe('error');
  });

  it('calls the actions: create, variables, fork, stop, pause, resume on another kernel, delete', async () => {
    routes['POST /aide/searches'] = body => [
      201,
      summary('s2', { goal: body.goal })
    ];
    routes['GET /aide/searches/s2'] = () => [
      200,
      { ...summary('s2'), nodes: [node('a', 0, null)] }
    ];
    routes['GET /aide/kernels/k1/variables'] = () => [
      200,
      { variables: [{ name: 'df', type: 'DataFrame', shape: [569, 31] }] }
    ];
    routes['POST /aide/searches/s2/nodes/a/fork'] = body => [
      201,
      node('f', 1, 'a', {
        stage: 'fork',
        status: 'queued',
        instruction: body.instruction,
        is_buggy: null,
        metric: null
      })
    ];
    routes['POST /aide/searches/s2/stop'] = () => [
      200,
      summary('s2', { status: 'stopped' })
    ];
    routes['POST /aide/searches/s2/pause'] = () => [
      200,
      summary('s2', { status: 'paused' })
    ];
    routes['POST /aide/searches/s2/resume'] = body => [
      200,
      summary('s2', { status: 'running', kernel_id: body.kernel_id })
    ];
    routes['DELETE /aide/searches/s2'] = () => [204, undefined];

    const model = new AideModel(settings());
    const errors: string[] = [];
    model.errorOccurred.connect((_, message) => errors.push(message));
    expect(await model.variables('k1')).toEqual([
      { name: 'df', type: 'DataFrame', shape: [569, 31] }
    ]);
    await model.createSearch({
      kernel_id: 'k1',
      goal: 'predict',
      data: ['df'],
      target: 'target',
      steps: 3,
      model: 'builtin'
    });
    expect(calls.find(c => c.method === 'POST')!.body).toMatchObject({
      goal: 'predict',
      data: ['df'],
      steps: 3
    });
    expect(model.selectedSearch!.id).toBe('s2');
    const child = await model.fork('a', { instruction: 'use a random forest' });
    expect(child!.instruction).toBe('use a random forest');
    expect(model.tree!.children('a')).toEqual(['f']);
    await model.pause('s2');
    expect(model.selectedSearch!.status).toBe('paused');
    await model.resume('s2', 'k9');
    expect(model.selectedSearch!.kernel_id).toBe('k9');
    await model.stop('s2');
    expect(model.selectedSearch!.status).toBe('stopped');
    await model.deleteSearch('s2');
    expect(model.searches).toEqual([]);
    expect(errors).toEqual([]);
    // A 409 from the server is reported, not thrown.
    routes['POST /aide/searches/s3/stop'] = () => [
      409,
      { error: 'conflict', message: 'search is done' }
    ];
    await model.stop('s3');
    expect(errors).toEqual(['search is done']);
  });

  it('collapses and expands', async () => {
    routes['GET /aide/searches/s1'] = () => [
      200,
      { ...summary('s1'), nodes: [node('a', 0, null), node('b', 1, 'a')] }
    ];
    const model = new AideModel(settings());
    await model.selectSearch('s1');
    model.toggleCollapsed('a');
    expect(model.tree!.rows(model.collapsed).map(r => r.id)).toEqual(['a']);
    model.setAllCollapsed(false);
    expect(model.tree!.rows(model.collapsed).map(r => r.id)).toEqual([
      'a',
      'b'
    ]);
    model.setAllCollapsed(true);
    expect(Array.from(model.collapsed)).toEqual(['a']);
  });
});

describe('AideModel resync (events missed while the websocket reconnected)', () => {
  it('does nothing while no search is active', async () => {
    routes['GET /aide/searches'] = () => [
      200,
      { searches: [summary('s1', { status: 'done' })] }
    ];
    const model = new AideModel(settings());
    await model.refresh();
    calls.length = 0;
    expect(await model.resync()).toBe(false);
    expect(calls).toEqual([]);
  });

  it('catches up the list and the selected tree; events during the GET win', async () => {
    let searches = [summary('s1'), summary('s2', { kernel_id: 'k2' })];
    let nodes = [node('a', 0, null, { status: 'running', metric: null })];
    routes['GET /aide/searches'] = () => [200, { searches }];
    routes['GET /aide/searches/s1'] = () => [200, { ...searches[0], nodes }];
    const model = new AideModel(settings());
    await model.refresh();
    await model.selectSearch('s1');
    expect(model.tree!.size).toBe(1);

    // Meanwhile (no events reached the panel): 'a' finished, 'b' ran, s2 was deleted.
    searches = [summary('s1', { steps_done: 2 })];
    nodes = [node('a', 0, null), node('b', 1, 'a', { metric: 0.9 })];
    let treeSignals = 0;
    model.treeChanged.connect(() => treeSignals++);
    calls.length = 0;
    expect(await model.resync()).toBe(true);
    expect(calls.map(c => c.url.split('?')[0]).sort()).toEqual([
      '/aide/searches',
      '/aide/searches/s1'
    ]);
    expect(model.tree!.get('a')!.status).toBe('done');
    expect(model.tree!.bestId).toBe('b');
    expect(treeSignals).toBeGreaterThan(0);
    expect(model.selectedSearch!.steps_done).toBe(2);
    expect(model.searches.map(s => s.id)).toEqual(['s1']);

    // A stale answer never moves a finished node back to running, and an event that arrives
    // during the GET is newer than the GET's answer.
    let release: () => void = () => undefined;
    const gate = new Promise<void>(resolve => (release = resolve));
    routes['GET /aide/searches'] = async () => {
      await gate;
      return [200, { searches: [summary('s1', { steps_done: 2 })] }];
    };
    nodes = [node('a', 0, null, { status: 'running', metric: null })];
    const pending = model.resync();
    model.applyEvent({
      kind: 'search',
      search_id: 's1',
      search: summary('s1', { status: 'done', steps_done: 3 })
    });
    release();
    expect(await pending).toBe(true);
    expect(model.selectedSearch!.status).toBe('done');
    expect(model.selectedSearch!.steps_done).toBe(3);
    expect(model.tree!.get('a')!.status).toBe('done');
    // Nothing active any more: no more requests.
    calls.length = 0;
    expect(await model.resync()).toBe(false);
    expect(calls).toEqual([]);
  });

  it('honours the minimum gap, and ticks on a timer until stopped', async () => {
    routes['GET /aide/searches'] = () => [200, { searches: [summary('s1')] }];
    const model = new AideModel(settings());
    await model.refresh();
    expect(await model.resync()).toBe(true);
    expect(await model.resync(60_000)).toBe(false);
    calls.length = 0;
    model.startResync(10);
    await new Promise<void>(resolve => {
      const check = setInterval(() => {
        if (calls.length >= 2) {
          clearInterval(check);
          resolve();
        }
      }, 5);
    });
    model.dispose();
    const after = calls.length;
    await new Promise(resolve => setTimeout(resolve, 50));
    expect(calls.length).toBe(after);
  });

  it('keeps quiet when the server is unreachable', async () => {
    routes['GET /aide/searches'] = () => [200, { searches: [summary('s1')] }];
    const model = new AideModel(settings());
    await model.refresh();
    const errors: string[] = [];
    model.errorOccurred.connect((_, m) => errors.push(m));
    routes['GET /aide/searches'] = () => [500, { message: 'down' }];
    expect(await model.resync()).toBe(true);
    expect(errors).toEqual([]);
    expect(model.searches.map(s => s.id)).toEqual(['s1']);
  });
});
