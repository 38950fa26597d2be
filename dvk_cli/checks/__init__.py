"""Checks on what was read: rule expressions, per-unit checks, rule
configuration from dvk.toml, model-list checks and peer (outlier) checks."""
