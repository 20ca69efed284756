"""The project's error types: one base class, so a caller can tell a user's mistake from a bug.

Every error that ``p2plib`` raises on purpose (a bad argument, a file that cannot be used, a
checkpoint that does not fit) derives from ``P2PError``; the message names the value or the
file and says what to do. The command line prints these, and system errors (``OSError``), as
one line with exit code 2, and lets any other exception show its traceback: it is a bug.
Errors that Python code used to catch as ``ValueError`` still are one.
"""

from __future__ import annotations

__all__ = [
    "ArgumentError", "CheckpointError", "CommandError", "ConfigError", "DataError",
    "DatasetError", "ExportError", "InputSizeError", "ModelFileError", "P2PError",
]


class P2PError(Exception):
    """Base class of the errors p2plib raises on purpose; the message says what to do (tool)."""


class ArgumentError(P2PError, ValueError):
    """An argument with a wrong type or value; the message names it and gives a valid
    example (tool)."""


class ConfigError(P2PError, ValueError):
    """A training configuration, or its saved ``config.json``, that cannot be used (tool)."""


class DataError(P2PError, ValueError):
    """A dataset file or folder that cannot be used as it is; the message says what to do (tool)."""


class DatasetError(DataError):
    """A named dataset asked for wrongly (unknown name, split or size), or broken on disk (tool)."""


class ModelFileError(P2PError, ValueError):
    """A file that cannot be used as a generator; the message names it and says what to
    do (tool)."""


class InputSizeError(P2PError, ValueError):
    """Images whose size or channel count does not match what the generator takes (tool)."""


class CheckpointError(P2PError):
    """Checkpoints that cannot be restored, or a run folder that cannot be resumed (tool)."""


class CommandError(P2PError):
    """A problem with a command line's arguments or files: printed as one line, exit code
    2 (tool)."""


class ExportError(P2PError):
    """A model that cannot be exported as asked, or an export that cannot be written or run
    (a float16 model, a missing ONNX package, a folder that cannot be written; tool)."""
