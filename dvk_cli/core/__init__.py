"""The facts every part of dvk shares: errors, findings, periods, units,
numbers and their formatting, text folding, cell references, files, the
indicator catalog and dvk.toml. Imports nothing else of dvk."""
