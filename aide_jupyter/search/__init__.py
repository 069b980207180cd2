"""The AIDE tree search: pure Python, no Jupyter imports."""
