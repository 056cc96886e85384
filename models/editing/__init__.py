"""Editing: the hooks that turn a mode into sampler hooks, and one editor per mode."""
