"""`%aide`: start and steer AIDE searches from a notebook cell (`%load_ext aide_jupyter`).

A thin client of the server extension: it checks the input against the user's namespace, POSTs
the search and returns at once. The server runs the nodes in this very kernel, so the cell must
not wait for progress (the kernel's shell would be busy and no node could start): progress comes
from a display refreshed by a daemon thread. With no server extension reachable it runs the same
engine inside the kernel instead (see local.py).
"""

from __future__ import annotations

import urllib.parse
from dataclasses import dataclass, field
from typing import Any

from IPython.core.magic import Magics, line_cell_magic, magics_class
from IPython.display import display

from aide_jupyter.coders import llm_key_hint

from .args import (
    Command,
    OptimizeArgs,
    UsageError,
    check_data,
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
from .promote import insert_node, no_best_yet, resolve_node
from .seed import resolve_seed
from .text import HELP, error, say

TERMINAL = ("stopped", "done", "failed")


@dataclass
class _State:
    """What the magic remembers in this kernel between calls."""

    last_id: str | None = None
    local: dict[str, Any] = field(default_factory=dict)  # id -> LocalSearch
    trackers: dict[str, Tracker] = field(default_factory=dict)
    watchers: list[Tracker] = field(default_factory=list)  # `status` displays, until they end
    server: Server | None = None


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
            error(str(exc))
        except ServerError as exc:
            error(f"the server answered {exc.status or 'nothing'}: {exc.message}")

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
            seed = resolve_seed(args, self.shell, None, None) if args.improve else None
            self._optimize_local(args, why, seed)
            return
        if args.model and args.model != "builtin" and "openai" not in health.get("coders", []):
            raise UsageError(llm_key_hint(args.model))
        body = args.request()
        body["kernel_id"] = kid
        path = notebook_path(server, kid)
        if path:
            body["notebook_path"] = path
        if args.improve:
            body["seed"] = resolve_seed(args, self.shell, server, path)
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

    def _optimize_local(
        self, args: OptimizeArgs, why: str, seed: dict[str, Any] | None = None
    ) -> None:
        from .local import start_local

        search = start_local(self.shell, args, why, seed)
        self.state.local[search.id] = search
        self.state.last_id = search.id
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
        say(f"search {sid}: {summary.get('status', cmd.name)}")

    _pause_remote = _stop_remote

    def _stop_local(self, search: Any, cmd: Command) -> None:
        if not search.running:
            say(f"search {search.id} is not running ({search.info.status})")
            return
        search.stop(cmd.finish_running) if cmd.name == "stop" else search.pause(cmd.finish_running)
        say(
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
                no_best_yet(sid, detail)
                return
            node_id = str(best["node_id"])
        else:
            node_id = resolve_node(sid, cmd.node_id, detail.get("nodes") or [])
        quoted = urllib.parse.quote(node_id, safe="")
        node = server.request("GET", f"aide/searches/{sid}/nodes/{quoted}")
        code = node.get("code") or "\n# %%\n".join(node.get("cells") or [])
        insert_node(self.shell, sid, node, code)

    _promote_remote = _best_remote

    def _best_local(self, search: Any, cmd: Command) -> None:
        journal = search.journal
        if cmd.node_id is None:
            node = journal.best_node()
            if node is None:
                no_best_yet(search.id, search.summary())
                return
        else:
            node = journal.get(
                resolve_node(search.id, cmd.node_id, [n.summary() for n in journal.nodes])
            )
        insert_node(self.shell, search.id, node.to_dict(), node.code)

    _promote_local = _best_local

    # ---- list ----------------------------------------------------------------------------------

    def _list(self) -> None:
        rows: list[dict[str, Any]] = [s.summary() for s in self.state.local.values()]
        server, _, _ = self._server()
        if server is not None:
            rows += server.request("GET", "aide/searches").get("searches", [])
        if not rows:
            say("no searches yet")
            return
        print("\n".join(render_text(s).splitlines()[0] for s in rows))


def load_ipython_extension(ipython: Any) -> None:
    """`%load_ext aide_jupyter` registers `%aide` / `%%aide`."""
    ipython.register_magics(AideMagics)
