"""The Jupyter server extension: configuration, REST handlers, search manager."""
