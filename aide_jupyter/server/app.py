"""The server extension: `c.AideExtension.*` configuration and handler registration."""

from __future__ import annotations

import os

from jupyter_server.extension.application import ExtensionApp
from traitlets import Bool, Dict, Float, Int, Unicode

from .. import __version__
from .routes import HANDLERS


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
            "name goes to the OpenAI-compatible endpoint. Empty: an LLM model name from "
            "AIDE_MODEL if an API key is set, else 'builtin'."
        ),
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
    runs_dir_name = Unicode(
        "aide-runs", config=True, help="Run folder created beside the user's notebook."
    )
    default_steps = Int(20, config=True, help="Steps (nodes) of a search that names none.")
    max_steps = Int(1000, config=True, help="Largest step count a client may ask for.")
    node_timeout_s = Float(600.0, config=True, help="Wall-clock limit of one node, in seconds.")
    parallel = Int(1, config=True, help="Nodes run at once per search (default 1).")
    memory_limit_mb = Int(0, config=True, help="Address-space limit per node in MB; 0: none.")
    price_table = Dict(
        {},
        config=True,
        help="USD per 1M tokens by model: {'gpt-4o': {'input': 2.5, 'output': 10.0}}.",
    )
    llm_enabled = Bool(True, config=True, help="Allow LLM coders (False: builtin only).")

    def api_key(self) -> str | None:
        """The LLM key from the environment; read on demand, never stored in settings or logs."""
        return os.environ.get(self.api_key_env) or None

    def enabled_coders(self) -> list[str]:
        coders = ["builtin"]
        if self.llm_enabled and (
            self.api_key() or self.openai_base_url or os.environ.get("OPENAI_BASE_URL")
        ):
            coders.append("openai")
        return coders

    def initialize_settings(self) -> None:
        self.settings["aide"] = self
        self.log.info("aide-jupyter %s: coders %s", __version__, ", ".join(self.enabled_coders()))

    def initialize_handlers(self) -> None:
        self.handlers.extend(HANDLERS)
