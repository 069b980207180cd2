"""The server extension: `c.AideExtension.*` configuration, the search manager, handlers."""

from __future__ import annotations

import os
from pathlib import Path
from typing import Any

from jupyter_server.extension.application import ExtensionApp
from traitlets import Bool, Dict, Enum, Float, Int, List, Unicode

from .. import __version__
from ..coders import DEFAULT_LLM_MODEL, Coder, default_model, make_coder
from ..coders.openai import price_of
from ..executors.runner.common import MIN_SECRET_LEN, secret_values
from ..search.config import POLICIES, ConfigError, SearchConfig
from .events import KERNEL_ACTIONS_ID, EventSink
from .kernels import KernelPool, is_gateway_manager
from .manager import SearchManager
from .routes import HANDLERS
from .workers import WorkerKernels

POLICY_PARAMS = (
    "num_drafts",
    "debug_prob",
    "max_debug_depth",
    "uct_c",
    "mcts_max_children",
    "ensemble_min_good",
    "ensemble_size",
    "population_size",
    "crossover_prob",
)


class AideExtension(ExtensionApp):
    """AIDE tree search in the Jupyter server; configure with `c.AideExtension.<option>`."""

    name = "aide_jupyter"
    description = "AIDE tree search over ML solution scripts, run in the user's live kernel."
    version = __version__

    default_model = Unicode(
        "",
        config=True,
        help=(
            "Model used when a search names none. 'builtin' is the offline baseline coder; any other "
            "name goes to the OpenAI-compatible endpoint. Empty: with an API key or a base URL, "
            "AIDE_MODEL if set, else llm_model; with neither, 'builtin'."
        ),
    )
    llm_model = Unicode(
        DEFAULT_LLM_MODEL,
        config=True,
        help=(
            "LLM model of a search that names none when an API key or base URL is configured "
            "(and default_model is empty); the AIDE_MODEL variable overrides it."
        ),
    )
    feedback_model = Unicode(
        "", config=True, help="Model that reviews node outputs. Empty: the code model."
    )
    openai_base_url = Unicode(
        "",
        config=True,
        help="Base URL of the OpenAI-compatible endpoint. Empty: OPENAI_BASE_URL, else OpenAI's.",
    )
    api_key_env = Unicode(
        "OPENAI_API_KEY",
        config=True,
        help="Name of the environment variable holding the API key (never stored in config files).",
    )
    api_key_file = Unicode(
        "",
        config=True,
        help="Path of a file holding the API key, read when the variable is unset. Empty: none.",
    )
    allowed_models = List(
        Unicode(),
        [],
        config=True,
        help="LLM model names clients may ask for ('builtin' is always allowed). Empty: any.",
    )
    llm_enabled = Bool(True, config=True, help="Allow LLM coders (False: builtin only).")
    policy = Unicode("greedy", config=True, help="Search policy: greedy (AIDE's), mcts or evolve.")
    policy_params = Dict(
        {},
        config=True,
        help=(
            "Policy parameters: num_drafts, debug_prob, max_debug_depth (greedy), uct_c, "
            "mcts_max_children (mcts), population_size, crossover_prob (evolve), "
            "ensemble_min_good, ensemble_size (every policy)."
        ),
    )
    runs_dir_name = Unicode(
        "aide-runs", config=True, help="Run folder created beside the user's notebook."
    )
    default_steps = Int(20, config=True, help="Steps (nodes) of a search that names none.")
    max_steps = Int(1000, config=True, help="Largest step count a client may ask for.")
    time_limit_s = Float(
        0.0, config=True, help="Wall-clock budget of a search in seconds; 0: none."
    )
    max_tokens = Int(0, config=True, help="Token budget of a search; 0: none.")
    max_cost_usd = Float(0.0, config=True, help="Cost budget of a search in USD; 0: none.")
    node_timeout_s = Float(600.0, config=True, help="Wall-clock limit of one node, in seconds.")
    parallel = Int(1, config=True, help="Nodes run at once per search (default 1).")
    max_parallel = Int(8, config=True, help="Largest `parallel` a client may ask for.")
    max_workers = Int(
        4,
        config=True,
        help=(
            "Largest `workers` a client may ask for: extra kernels of the same kernelspec a "
            "search starts (through the kernel manager, local or gateway) and spreads nodes over."
        ),
    )
    kernel_parallel = Int(
        0,
        config=True,
        help=(
            "Nodes executing at once on one kernel's host, across all its searches. 0: no cap "
            "beyond each search's `parallel` (at most max_parallel per kernel). CPU threads "
            "(BLAS/OpenMP) are split between a search's parallel nodes."
        ),
    )
    remote_artifact_max_mb = Float(
        2.0,
        config=True,
        help=(
            "Kernels behind a gateway: nodes run in a temporary folder on the kernel's host; the "
            "files a node writes there (submission.csv first, then smaller files first) come back "
            "with its result up to this many MB in all and land in the local run folder."
        ),
    )
    memory_limit_mb = Int(0, config=True, help="Address-space limit per node in MB; 0: none.")
    executor_mode = Enum(
        ["auto", "fork", "spawn"],
        "auto",
        config=True,
        help=(
            "How the kernel runs a node: fork (a copy-on-write child of the kernel), spawn (the "
            "portable path: a fresh interpreter fed a snapshot of the named data), or auto (fork "
            "where the kernel's Python has os.fork, os.waitid and resource, and not on macOS or "
            "with CUDA initialised; else spawn)."
        ),
    )
    node_env_allow = List(
        Unicode(),
        [],
        config=True,
        help=(
            "Environment variables node processes keep although their names look secret "
            "(*KEY*, *TOKEN*, *SECRET*, *PASSWORD*). The LLM key's variable is always removed."
        ),
    )
    price_table = Dict(
        {},
        config=True,
        help="USD per 1M tokens by model: {'gpt-4o': {'input': 2.5, 'output': 10.0}}.",
    )
    variables_timeout_s = Float(
        5.0, config=True, help="How long GET /aide/kernels/{id}/variables waits for the kernel."
    )

    # ----- secrets and models -----

    def known_secrets(self) -> list[str]:
        """Values masked in node output: the LLM key and the server's secret-looking variables
        (read on demand, never stored)."""
        found = set(secret_values(os.environ, self.node_env_allow, [self.api_key_env]))
        key = self.api_key()
        if key and len(key) >= MIN_SECRET_LEN:
            found.add(key)
        return sorted(found, key=len, reverse=True)

    def api_key(self) -> str | None:
        """The LLM key from the environment or the secret file; read on demand, never stored."""
        key = os.environ.get(self.api_key_env)
        if key:
            return key
        if self.api_key_file:
            try:
                return Path(self.api_key_file).expanduser().read_text().strip() or None
            except OSError as exc:
                self.log.warning("aide: cannot read api_key_file (%s)", type(exc).__name__)
        return None

    def _llm_reachable(self) -> bool:
        return bool(self.api_key() or self.openai_base_url or os.environ.get("OPENAI_BASE_URL"))

    def enabled_coders(self) -> list[str]:
        coders = ["builtin"]
        if self.llm_enabled and self._llm_reachable():
            coders.append("openai")
        return coders

    def resolve_model(self, requested: str | None = None) -> str:
        """The client's model, else default_model, else the LLM when a key or endpoint is set."""
        if requested:
            return requested
        if self.default_model:
            return self.default_model
        llm = self.llm_enabled and self._llm_reachable()
        return default_model(os.environ, llm_model=self.llm_model, llm=llm)

    def endpoint(self) -> str:
        """The OpenAI-compatible endpoint's base URL (not a secret: shown in summaries)."""
        return (
            self.openai_base_url or os.environ.get("OPENAI_BASE_URL") or "https://api.openai.com/v1"
        )

    def check_model(self, model: str) -> str:
        """Why `model` cannot be used here, or '' when it can."""
        if not model.strip():
            return "must be a model name ('builtin' or an LLM)"
        if model == "builtin":
            return ""
        if not self.llm_enabled:
            return "LLM coders are disabled on this server; use 'builtin'"
        if self.allowed_models and model not in self.allowed_models:
            return f"unknown model {model!r}; allowed: builtin, {', '.join(self.allowed_models)}"
        if not self._llm_reachable():
            return f"no API key or endpoint is configured for {model!r}; use 'builtin'"
        return ""

    def search_config(self, overrides: dict[str, Any]) -> SearchConfig:
        """Server defaults, then the client's values; raises ConfigError naming the field."""
        values: dict[str, Any] = {
            "steps": self.default_steps,
            "node_timeout_s": self.node_timeout_s,
            "parallel": self.parallel,
            "policy": self.policy,
            "time_limit_s": self.time_limit_s or None,
            "max_tokens": self.max_tokens or None,
            "max_cost_usd": self.max_cost_usd or None,
            "memory_limit_mb": self.memory_limit_mb or None,
            "feedback_model": self.feedback_model or None,
            **{k: v for k, v in self.policy_params.items()},
        }
        values.update(overrides)
        values["model"] = self.resolve_model(values.get("model"))
        problem = self.check_model(values["model"])
        if problem:
            raise ConfigError("model", problem)
        if values["model"] == "builtin":
            values["feedback_model"] = None
        elif values.get("max_cost_usd") is not None:
            for model in {values["model"], values.get("feedback_model") or values["model"]}:
                if price_of(model, self._prices()) is None:
                    raise ConfigError(
                        "model",
                        f"no price known for {model!r}, so the server's cost budget "
                        f"(max_cost_usd {values['max_cost_usd']:g}) cannot be kept: add it to "
                        "c.AideExtension.price_table, or use a priced model",
                    )
        return SearchConfig.from_dict(values)

    def _prices(self) -> dict[str, tuple[float, float]]:
        prices = {}
        for name, row in self.price_table.items():
            try:
                prices[name] = (float(row["input"]), float(row["output"]))
            except (KeyError, TypeError, ValueError):
                self.log.warning("aide: price_table[%r] needs numeric input and output", name)
        return prices

    def make_coder(self, model: str) -> Coder:
        if model == "builtin":
            return make_coder("builtin")
        return make_coder(
            model,
            feedback_model=self.feedback_model or None,
            base_url=self.openai_base_url or None,
            api_key=self.api_key(),
            prices=self._prices(),
        )

    # ----- ExtensionApp -----

    def initialize_settings(self) -> None:
        self._check_config()
        km = self.serverapp.kernel_manager
        pool = KernelPool(
            lambda kernel_id: km.get_kernel(kernel_id).get_connection_info(),
            remote=is_gateway_manager(km),
            artifact_max_bytes=int(self.remote_artifact_max_mb * 1024 * 1024),
            parallel=self.kernel_parallel or self.max_parallel,
            memory_limit_mb=self.memory_limit_mb or None,
            mode=self.executor_mode,
            env_allow=[n for n in self.node_env_allow if n != self.api_key_env],
            env_drop=[self.api_key_env],
            secrets=self.known_secrets,
        )
        event_logger = getattr(self.serverapp, "event_logger", None)
        self.manager = SearchManager(
            Path(self.serverapp.root_dir),
            self,
            pool,
            EventSink(event_logger),
            lambda kernel_id: kernel_id in km,
            WorkerKernels(km, pool),
        )
        if event_logger is not None:
            event_logger.add_listener(
                schema_id=KERNEL_ACTIONS_ID, listener=self.manager.on_kernel_action
            )
        self.manager.scan()
        self.settings["aide"] = self
        self.settings["aide_manager"] = self.manager
        self.log.info("aide-jupyter %s: coders %s", __version__, ", ".join(self.enabled_coders()))
        model = self.resolve_model()
        if model == "builtin":
            self.log.info(
                "aide: searches default to the offline builtin coder (no OPENAI_API_KEY or "
                "OPENAI_BASE_URL in the server's environment)"
            )
        else:
            self.log.info("aide: searches default to model %s at %s", model, self.endpoint())

    def _check_config(self) -> None:
        """Fail loudly at start-up on a policy or policy parameter the engine would refuse."""
        if self.policy not in POLICIES:
            raise ValueError(f"AideExtension.policy must be one of {', '.join(POLICIES)}")
        unknown = sorted(set(self.policy_params) - set(POLICY_PARAMS))
        if unknown:
            raise ValueError(f"AideExtension.policy_params: unknown parameter {unknown[0]!r}")
        try:
            SearchConfig(**{**self.policy_params, "policy": self.policy})
        except (ConfigError, TypeError) as exc:
            raise ValueError(f"AideExtension.policy_params: {exc}") from None

    def initialize_handlers(self) -> None:
        self.handlers.extend(HANDLERS)

    async def stop_extension(self) -> None:
        """Server exit: running searches stop (journals flushed; resumable later)."""
        manager = getattr(self, "manager", None)
        if manager is not None:
            await manager.shutdown()
