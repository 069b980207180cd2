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

/** Search status values (docs/rest-api.md). */
export type SearchStatus =
  'queued' | 'running' | 'paused' | 'stopping' | 'stopped' | 'done' | 'failed';

/** Node status values of the engine. */
export type NodeStatus = 'queued' | 'running' | 'done' | 'failed';

/** A search summary, as in `GET /aide/searches`. */
export interface ISearchSummary {
  id: string;
  status: SearchStatus;
  stop_reason?: string | null;
  /** Why a paused search paused; null unless paused. */
  pause_cause?: 'user' | 'kernel' | 'server_restart' | 'llm' | null;
  /** Who writes the code: the offline baseline, or an OpenAI-compatible LLM at `endpoint`. */
  coder?: 'builtin' | 'openai';
  endpoint?: string | null;
  goal: string;
  eval?: string;
  data?: string[];
  data_dir?: string | null;
  target?: string | null;
  kernel_id: string | null;
  /** Where the kernel runs when it is behind a gateway (host:port); null for a local kernel. */
  host?: string | null;
  /** The search's worker kernels; `running` false once shut down. */
  workers?: {
    kernel_id: string;
    host?: string;
    running: boolean;
    nodes?: number;
  }[];
  notebook_path?: string | null;
  model?: string | null;
  policy?: string | null;
  steps_done: number;
  steps: number;
  counts?: {
    queued?: number;
    running?: number;
    good?: number;
    buggy?: number;
  };
  best: { node_id: string; metric: number | null } | null;
  lower_is_better?: boolean | null;
  tokens?: number;
  cost_usd?: number;
  elapsed_s?: number;
  created: number;
  run_dir?: string;
  journal_path?: string;
  /** How the kernel runs nodes (fork | spawn) and whether launches use an own subshell. */
  executor?: { mode: string; subshell: boolean } | null;
  /** Trusted scores: the held-out share, its rows once split, the metric it is scored with. */
  holdout?: IHoldout | null;
  /** Where the search started when it started from the user's code (the root node, stage seed). */
  seed?: ISeedSummary | null;
}

/** The search summary's `holdout`: every node's `metric` is then its score on these rows. */
export interface IHoldout {
  fraction: number;
  rows: number | null;
  metric: string | null;
}

/** The `seed` of a search summary: the user's root node and the notebook cell it came from. */
export interface ISeedSummary {
  node_id: string;
  cell_id: string | null;
  metric: number | null;
  is_buggy: boolean | null;
}

/** A seed the New search form starts from: a notebook cell's code (and its id). */
export interface IFormSeed {
  code: string;
  cellId: string | null;
}

/** A node without code and output (the `nodes` of a search, and live events). */
export interface INodeSummary {
  id: string;
  step: number;
  stage: string;
  parent_id: string | null;
  status: NodeStatus;
  exc_type?: string | null;
  exit_cause?: string | null;
  /** The kernel that ran it (a worker's or the user's). */
  kernel_id?: string | null;
  exec_time_s?: number | null;
  peak_mem_mb?: number | null;
  metric: number | null;
  lower_is_better?: boolean | null;
  metric_source?: string | null;
  /** With a holdout: the node's own printed number (its `metric` is the harness's score). */
  reported_metric?: number | null;
  /** Set when the reported number is far better than the holdout score. */
  metric_flag?: string | null;
  /** Why the harness could not score the node (no predict/model, wrong predictions). */
  holdout_error?: string | null;
  is_buggy: boolean | null;
  error?: string | null;
  instruction?: string | null;
  tokens_in?: number;
  tokens_out?: number;
  cost_usd?: number;
  created?: number;
  finished?: number | null;
  plan_head?: string;
}

/** The whole node (`GET /aide/searches/{id}/nodes/{node_id}`). */
export interface INodeDetail extends INodeSummary {
  plan: string;
  code: string;
  output: string;
  exc_traceback?: string | null;
  analysis: string;
  cells: string[];
  parent_code: string | null;
  /** The code of the search's seed root (the user's own code), for a diff; null without one. */
  seed_code?: string | null;
}

/** `GET /aide/searches/{id}`: the summary with every node. */
export interface ISearchDetail extends ISearchSummary {
  nodes: INodeSummary[];
}

/** A kernel variable the new-search form can offer as data. */
export interface IVariable {
  name: string;
  type: string;
  shape?: number[] | string | null;
  /** A table's column names (at most 500), for the form's target picker. */
  columns?: string[];
}

/** The body of `POST /aide/searches`. */
export interface ISearchRequest {
  kernel_id: string;
  notebook_path?: string;
  goal: string;
  eval?: string;
  data?: string[];
  data_dir?: string;
  target?: string;
  metric?: string;
  lower_is_better?: boolean;
  steps?: number;
  time_limit_s?: number;
  node_timeout_s?: number;
  parallel?: number;
  /** Extra kernels of the same kernelspec that share the nodes (default 0). */
  workers?: number;
  policy?: string;
  model?: string;
  /** Fraction of the rows held out and scored by the executor (0 < h <= 0.5). */
  holdout?: number;
  seed?: { code: string; cell_id?: string };
  seed_drafts?: number;
}

/** Schema id of the server's live events on jupyter_server's event bus. */
export const SEARCH_EVENT_SCHEMA = 'https://events.aide-jupyter.org/search';

/** The `data` of one live event (flattened into the emission by jupyter_server). */
export type SearchEvent =
  | { kind: 'search'; search_id: string; search: ISearchSummary }
  | { kind: 'node'; search_id: string; node: INodeSummary }
  | { kind: 'removed'; search_id: string };

/** How a node looks in the tree: its status icon. */
export type NodeDisplayState =
  'queued' | 'running' | 'good' | 'buggy' | 'timeout' | 'error';
