"""Test helpers for the search engine: a fake OpenAI-compatible server and a subprocess executor."""
