"""dvk — tổng hợp báo cáo công tác dân vận.

The library: `dvk_cli.aggregate(...)`, `dvk_cli.validate(...)` … one function
for each command (dvk_cli/api.py), loaded on first use so that `import dvk_cli`
and `dvk --help` stay instant.
"""

from dvk_cli.core.version import VERSION as __version__

# The names of dvk_cli.api (its __all__), served lazily by __getattr__ (PEP 562).
_API = (
    "run", "aggregate", "validate", "report", "write_outputs", "inspect_file",
    "init_folder", "write_forms",
    "submissions", "diff", "lock", "unlock", "load_baseline", "trend",
    "accept", "unaccept",
    "RunResult", "UnchangedResult", "ValidateResult", "InspectResult", "InitResult", "FormsResult",
    "SubmissionsResult", "DiffResult", "LockResult", "BaselineLoadResult", "TrendResult",
    "AcceptResult",
    "UsageError",
)

__all__ = ["__version__", *_API]


def __getattr__(name: str):  # no annotation: `import typing` would cost the import time
    if name in _API:
        from dvk_cli import api

        value = getattr(api, name)
        globals()[name] = value  # once loaded, a plain attribute
        return value
    raise AttributeError(f"module {__name__!r} has no attribute {name!r}")


def __dir__() -> list[str]:
    return sorted({*globals(), *_API})
