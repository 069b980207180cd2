"""`%aide`: start and steer AIDE searches from a notebook cell (`%load_ext aide_jupyter`).

A thin client of the server extension: it checks the input against the user's namespace, POSTs
the search and returns at once. The server runs the nodes in this very kernel, so the cell must
not wait for progress (the kernel's shell would be busy and no node could start): progress comes
from a display refreshed by a daemon thread. With no server extension reachable it runs the same
engine inside the kernel instead (see local.py).
"""

from __future__ import annotations

import math
import os
import sys
import urllib.parse
from dataclasses import dataclass, field
from typing import Any

from IPython.core.magic import Magics, line_cell_magic, magics_class
from IPython.display import display

from ..search.journal import resolve_ref, split_cells
from .args import (
    Command,
    OptimizeArgs,
    UsageError,
    check_data,
    llm_key_hint,
    local_model,
    parse,
)
from .client import (
    Server,
    ServerError,
    check_extension,
    find_server,
    kernel_id,
    notebook_path,
)
from .progress import Tracker, bundle, render_text

HELP = """Run AIDE's tree search over ML solution scripts in this kernel.

Start a search (returns at once; a live progress display keeps updating):
  %aide optimize [options] "GOAL"
  %%aide optimize [options]          (the goal and evaluation in the cell body)

Options of optimize:
  --data NAMES            comma-separated variables of this kernel the solutions may use
                          (DataFrames, arrays), e.g. --data train,test
  --data-dir PATH         a folder with data files (train.csv, test.csv, ...)
  --target COL            the target column (checked against the --data frames)
  --metric NAME           the metric to optimise, e.g. accuracy, rmse, auc
  --lower-is-better       the metric's direction (default: from the first review)
  --higher-is-better
  --steps N               nodes in the tree (default: the server's, 20)
  --time 30m              wall-clock budget: 90s, 30m, 1.5h, 1h30m
  --node-timeout 5m       limit of one node (default 10m)
  --parallel K            nodes run at once (default 1)
  --workers N             N extra kernels of this kernel's kernelspec share the nodes (server)
  --policy NAME           greedy (AIDE's, default), mcts or evolve
  --random-seed N         seed of the policy and the builtin coder: same seed, same tree
  --model NAME            builtin (offline baseline, no key) or an LLM model name for the
                          OpenAI-compatible endpoint (needs OPENAI_API_KEY / OPENAI_BASE_URL)
  --eval TEXT             how solutions are evaluated, if not in the goal
  --holdout 0.2           trusted scores: hold out this fraction of the rows (needs --target
                          and --data or --data-dir); every node is scored on them by the
                          executor, with --metric (accuracy, balanced_accuracy, f1, roc_auc,
                          log_loss, rmse, mae, r2, rmsle)

Steer searches (SEARCH_ID defaults to the last one started here):
  %aide status [SEARCH_ID]      the progress, updating until the search ends
  %aide stop [--finish-running] [SEARCH_ID]   no new nodes; running ones end now (or finish)
  %aide pause [SEARCH_ID]       like stop, but resume continues it
  %aide resume [SEARCH_ID]      continue a paused search
  %aide best [SEARCH_ID]        put the best solution's code in a new cell below (while the
                                search has none yet, says so: run it again later)
  %aide promote NODE [SEARCH_ID]  put node NODE's code in a new cell below; NODE as the panel
                                shows it (#3, or 3: the step) or a node id or id prefix
  %aide list                    all searches
  %aide help                    this text (also %aide?)

Solutions are inserted as one cell whose parts are separated by `# %%` lines (front ends keep
only one "next input" per execution). The tree is in the AIDE side panel; every search also
writes aide-runs/<search-id>/journal.ipynb, best_solution.py and tree.html beside the notebook.

Server: found through AIDE_SERVER_URL and AIDE_SERVER_TOKEN when set, else the Jupyter server
that started this kernel. Without one (VS Code, jupyter console, another server) the search
runs inside this kernel in a background thread, with the same engine and journal.
"""

TERMINAL = ("stopped", "done", "failed")


@dataclass
class _State:
    """What the magic remembers in this kernel between calls."""

    last_id: str | None = None
    local: dict[str, Any] = field(default_factory=dict)  # id -> LocalSearch
    trackers: dict[str, Tracker] = field(default_factory=dict)
    watchers: list[Tracker] = field(default_factory=list)  # `status` displays, until they end
    server: Server | None = None


def _error(message: str) -> None:
    print(f"aide: {message}", file=sys.stderr)


def _say(message: str) -> None:
    print(f"aide: {message}")


@magics_class
class AideMagics(Magics):
    """Holds the per-kernel state of `%aide`."""

    def __init__(self, shell: Any) -> None:
        super().__init__(shell)
        self.state = _State()

    @line_cell_magic
    def aide(self, line: str, cell: str | None = None) -> None:
        try:
            command = parse(line, cell)
            self._dispatch(command)
        except UsageError as exc:
            _error(str(exc))
        except ServerError as exc:
            _error(f"the server answered {exc.status or 'nothing'}: {exc.message}")

    aide.__doc__ = HELP

    # ---- dispatch ------------------------------------------------------------------------------

    def _dispatch(self, cmd: Command) -> None:
        if cmd.name == "help":
            print(HELP)
        elif cmd.name == "optimize":
            assert cmd.optimize is not None
            self._optimize(cmd.optimize)
        elif cmd.name == "list":
            self._list()
        else:
            sid = self._resolve_id(cmd.search_id)
            local = self.state.local.get(sid)
            handler = getattr(self, f"_{cmd.name}_local" if local else f"_{cmd.name}_remote")
            handler(local or sid, cmd)

    def _server(self) -> tuple[Server | None, dict[str, Any] | None, str]:
        """(server, health, "") when the aide extension is reachable, else (None, None, why)."""
        server, why = find_server(kernel_id())
        if server is None:
            return None, None, why
        health, why = check_extension(server)
        if health is None:
            return None, None, why
        self.state.server = server
        return server, health, ""

    def _remote(self) -> Server:
        if self.state.server is None:
            server, _, why = self._server()
            if server is None:
                raise UsageError(f"no AIDE server to ask: {why}")
        assert self.state.server is not None
        return self.state.server

    def _resolve_id(self, given: str | None) -> str:
        if given:
            return given
        if self.state.last_id:
            return self.state.last_id
        if self.state.server is not None or self._server()[0] is not None:
            kid = kernel_id()
            searches = self._remote().request("GET", "aide/searches").get("searches", [])
            mine = [s for s in searches if s.get("kernel_id") == kid] or searches
            if mine:
                return str(mine[0]["id"])
        raise UsageError("no search yet: start one with %aide optimize (see %aide help)")

    # ---- optimize ------------------------------------------------------------------------------

    def _optimize(self, args: OptimizeArgs) -> None:
        ns = self.shell.user_ns
        check_data(args, ns)
        kid = kernel_id()
        server, health, why = self._server()
        if server is not None and kid is None:
            server, why = None, "cannot tell this kernel's id (no kernel-<id>.json connection file)"
        if server is None or health is None:
            self._optimize_local(args, why)
            return
        if args.model and args.model != "builtin" and "openai" not in health.get("coders", []):
            raise UsageError(llm_key_hint(args.model))
        body = args.request()
        body["kernel_id"] = kid
        path = notebook_path(server, kid)
        if path:
            body["notebook_path"] = path
        summary = server.request("POST", "aide/searches", body)
        sid = str(summary["id"])
        self.state.last_id = sid
        self._track(sid, summary, lambda: server.request("GET", f"aide/searches/{sid}", timeout=5))

    def _track(self, sid: str, summary: dict[str, Any], fetch: Any, *, main: bool = True) -> None:
        """Show a progress display and refresh it from a daemon thread until the search ends.

        `main`: the display of `optimize`/`resume`, one per search (a new one replaces it); other
        displays (`status`) refresh on their own, so none of them goes stale on screen."""
        if main:
            old = self.state.trackers.pop(sid, None)
            if old is not None:
                old.stop()
        handle = display(bundle(summary), raw=True, display_id=True)
        if handle is None or summary.get("status") in TERMINAL:
            return
        tracker = Tracker(fetch, handle).start()
        if main:
            self.state.trackers[sid] = tracker
        else:
            self.state.watchers = [t for t in self.state.watchers if t.alive] + [tracker]

    def _optimize_local(self, args: OptimizeArgs, why: str) -> None:
        from aide_jupyter.coders import CoderError, make_coder
        from aide_jupyter.search.config import ConfigError, SearchConfig
        from aide_jupyter.search.journal import SearchInfo
        from aide_jupyter.search.preview import describe_dir, describe_objects, installed_packages

        from .local import LocalSearch, new_search_id, run_root

        if args.workers:
            raise UsageError(
                f"--workers needs the aide-jupyter server extension ({why}); drop --workers to "
                "search in this kernel alone"
            )
        ns = self.shell.user_ns
        model = local_model(args.model, os.environ)
        settings = {
            "steps": args.steps,
            "time_limit_s": args.time_limit_s,
            "node_timeout_s": args.node_timeout_s,
            "parallel": args.parallel,
            "policy": args.policy,
            "lower_is_better": args.lower_is_better,
            "model": model,
            "random_seed": args.random_seed,
        }
        try:
            config = SearchConfig.from_dict({k: v for k, v in settings.items() if v is not None})
        except ConfigError as exc:
            raise UsageError(f"--{exc.field.replace('_', '-')}: {exc.message}") from None
        try:
            coder = make_coder(model)
        except CoderError as exc:
            raise UsageError(f"--model {model}: {exc}") from None
        data_dir = os.path.abspath(os.path.expanduser(args.data_dir)) if args.data_dir else None
        eval_text = args.eval
        if args.metric:
            eval_text = f"{eval_text}\nMetric: {args.metric}".strip()
        holdout = None
        if args.holdout is not None:
            from aide_jupyter.search.holdout import resolve_metric

            try:
                metric = resolve_metric(args.metric, f"{args.goal}\n{eval_text}")
            except ValueError as exc:
                raise UsageError(f"--metric: {exc}") from None
            holdout = {"fraction": args.holdout, "metric": metric}
        info = SearchInfo(
            id=new_search_id(),
            goal=args.goal,
            eval=eval_text,
            data=list(args.data),
            data_dir=data_dir,
            target=args.target,
            holdout=holdout,
        )
        overview = describe_objects(ns, list(args.data), config.overview_max_chars)
        if data_dir:
            overview = f"{overview}\n\n{describe_dir(data_dir, config.overview_max_chars)}".strip()
        packages = [f"{k} {v}" for k, v in installed_packages().items()]
        search = LocalSearch(
            info,
            config,
            coder,
            ns,
            run_root(ns, os.environ) / info.id,
            data_overview=overview,
            packages=packages,
        )
        self.state.local[search.id] = search
        self.state.last_id = search.id
        _say(f"no AIDE server extension ({why}); running the search inside this kernel")
        search.start()
        self._track(search.id, search.summary(), search.summary)

    # ---- status / stop / pause / resume --------------------------------------------------------

    def _status_remote(self, sid: str, cmd: Command) -> None:
        server = self._remote()
        summary = server.request("GET", f"aide/searches/{sid}")
        self._track(
            sid,
            summary,
            lambda: server.request("GET", f"aide/searches/{sid}", timeout=5),
            main=False,
        )

    def _status_local(self, search: Any, cmd: Command) -> None:
        self._track(search.id, search.summary(), search.summary, main=False)

    def _stop_remote(self, sid: str, cmd: Command) -> None:
        body = {"finish_running": True} if cmd.finish_running else {}
        summary = self._remote().request("POST", f"aide/searches/{sid}/{cmd.name}", body)
        _say(f"search {sid}: {summary.get('status', cmd.name)}")

    _pause_remote = _stop_remote

    def _stop_local(self, search: Any, cmd: Command) -> None:
        if not search.running:
            _say(f"search {search.id} is not running ({search.info.status})")
            return
        search.stop(cmd.finish_running) if cmd.name == "stop" else search.pause(cmd.finish_running)
        _say(
            f"search {search.id}: stopping"
            + (" after the running nodes" if cmd.finish_running else "")
        )

    _pause_local = _stop_local

    def _resume_remote(self, sid: str, cmd: Command) -> None:
        server = self._remote()
        body = {"kernel_id": kernel_id()} if kernel_id() else {}
        summary = server.request("POST", f"aide/searches/{sid}/resume", body)
        self.state.last_id = sid
        self._track(sid, summary, lambda: server.request("GET", f"aide/searches/{sid}", timeout=5))

    def _resume_local(self, search: Any, cmd: Command) -> None:
        if search.running:
            raise UsageError(f"search {search.id} is already running")
        if search.info.status != "paused":
            raise UsageError(
                f"search {search.id} is {search.info.status}; only a paused one resumes"
            )
        search.start()
        self._track(search.id, search.summary(), search.summary)

    # ---- best / promote ------------------------------------------------------------------------

    def _best_remote(self, sid: str, cmd: Command) -> None:
        server = self._remote()
        detail = server.request("GET", f"aide/searches/{sid}")
        if cmd.node_id is None:
            best = detail.get("best")
            if not best:
                _no_best_yet(sid, detail)
                return
            node_id = str(best["node_id"])
        else:
            node_id = _resolve(sid, cmd.node_id, detail.get("nodes") or [])
        quoted = urllib.parse.quote(node_id, safe="")
        node = server.request("GET", f"aide/searches/{sid}/nodes/{quoted}")
        code = node.get("code") or "\n# %%\n".join(node.get("cells") or [])
        self._insert(sid, node, code)

    _promote_remote = _best_remote

    def _best_local(self, search: Any, cmd: Command) -> None:
        journal = search.journal
        if cmd.node_id is None:
            node = journal.best_node()
            if node is None:
                _no_best_yet(search.id, search.summary())
                return
        else:
            node = journal.get(
                _resolve(search.id, cmd.node_id, [n.summary() for n in journal.nodes])
            )
        self._insert(search.id, node.to_dict(), node.code)

    _promote_local = _best_local

    def _insert(self, sid: str, node: dict[str, Any], code: str) -> None:
        """One new cell below, parts marked with `# %%`: front ends keep one next input only."""
        if not code.strip():
            raise UsageError(f"node {node.get('id')} has no code ({node.get('status')})")
        metric = node.get("metric")
        lower = node.get("lower_is_better")
        metric_text = (
            f"metric {metric:.6g}"
            if isinstance(metric, (int, float)) and math.isfinite(metric)
            else "no metric"
        )
        if lower is not None:
            metric_text += " (lower is better)" if lower else " (higher is better)"
        if node.get("metric_source") == "harness":
            own = node.get("reported_metric")
            metric_text = metric_text.replace("metric", "holdout metric", 1) + (
                f", reported {own:.6g}" if isinstance(own, (int, float)) else ", none reported"
            )
        header = (
            f"# AIDE search {sid}, node {node.get('id')} "
            f"(step {node.get('step')}, {node.get('stage')}): {metric_text}\n"
        )
        self.shell.set_next_input(header + code.rstrip() + "\n", replace=False)
        parts = len(split_cells(code))
        _say(
            f"node {node.get('id')}, {metric_text}: its code is in the next cell "
            f"({parts} part{'s' if parts != 1 else ''} separated by # %%)"
        )

    # ---- list ----------------------------------------------------------------------------------

    def _list(self) -> None:
        rows: list[dict[str, Any]] = [s.summary() for s in self.state.local.values()]
        server, _, _ = self._server()
        if server is not None:
            rows += server.request("GET", "aide/searches").get("searches", [])
        if not rows:
            _say("no searches yet")
            return
        print("\n".join(render_text(s).splitlines()[0] for s in rows))


def _resolve(sid: str, ref: str, nodes: list[dict[str, Any]]) -> str:
    """A node id from what the user typed: `#3`, `3` (steps, as the panel shows), an id prefix."""
    try:
        return resolve_ref(ref, [(str(n["id"]), int(n["step"])) for n in nodes])
    except ValueError as exc:
        raise UsageError(f"search {sid}: {exc}") from None


def _no_best_yet(sid: str, summary: dict[str, Any]) -> None:
    """No best node: while the search runs that is news, not an error (Run All reaches `best`
    a second after `optimize`; waiting here would hold the kernel the nodes need)."""
    status = summary.get("status")
    done = summary.get("steps_done", 0)
    if status in ("queued", "running", "stopping"):
        _say(
            f"search {sid} is still running ({done} node{'s' if done != 1 else ''} finished, "
            "none working yet): its progress display above updates live; run %aide best again "
            "when it shows a best"
        )
        return
    raise UsageError(
        f"search {sid} is {status} and has no working solution (see its nodes in the panel)"
    )


def load_ipython_extension(ipython: Any) -> None:
    """`%load_ext aide_jupyter` registers `%aide` / `%%aide`."""
    ipython.register_magics(AideMagics)
