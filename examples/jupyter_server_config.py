# Example jupyter_server_config.py for aide-jupyter (copy to ~/.jupyter/ or pass --config=...).
# Every option: docs/configuration.md. API keys never go here: export OPENAI_API_KEY, or point
# api_key_file at a file only you can read.

c = get_config()  # noqa: F821  (provided by Jupyter when it loads this file)

c.AideExtension.default_model = "builtin"  # offline baseline; e.g. "gpt-4o-mini" with a key
c.AideExtension.feedback_model = ""  # review with the code model
c.AideExtension.openai_base_url = ""  # e.g. "http://localhost:11434/v1" for Ollama
c.AideExtension.api_key_file = ""  # e.g. "~/.config/aide/openai.key"
c.AideExtension.allowed_models = []  # e.g. ["gpt-4o-mini", "gpt-4o"]
c.AideExtension.policy = "greedy"
c.AideExtension.policy_params = {"num_drafts": 5, "debug_prob": 0.5, "max_debug_depth": 3}
c.AideExtension.default_steps = 20
c.AideExtension.time_limit_s = 0  # no wall-clock budget
c.AideExtension.max_cost_usd = 0  # no cost budget
c.AideExtension.node_timeout_s = 600
c.AideExtension.memory_limit_mb = 0
c.AideExtension.parallel = 1
c.AideExtension.price_table = {"gpt-4o-mini": {"input": 0.15, "output": 0.6}}
