"""Whole files or none: the one way the library writes a file for a user (tool).

``written_atomically(path)`` hands out a temporary name beside ``path`` and renames it into
place only once the block has finished, so a kill, a full disk or an error never leaves a
partial file under the real name; ``write_json`` writes JSON that way. The temporary names
share one pattern, so ``remove_leftovers`` can delete what a killed writer left behind. A
system error while writing is re-raised naming the file.
"""

from __future__ import annotations

import contextlib
import errno
import json
import os
import re
import shutil
from pathlib import Path

__all__ = ["as_system_error", "is_temporary", "remove_leftovers", "temporary_folder",
           "write_json", "written_atomically"]

_TEMPORARY = re.compile(r"^\..+\.partial-(\d+)(\.[^.]*)?$")
# What TensorFlow's and other C++ writers say when the disk, not memory, is the problem.
_DISK_PROBLEMS = {"No space left on device": errno.ENOSPC, "Read-only file system": errno.EROFS,
                  "Disk quota exceeded": errno.EDQUOT, "Permission denied": errno.EACCES}


def _temporary_beside(path: Path) -> Path:
    # The real suffix stays last: Keras and Pillow choose the format by it.
    return path.with_name(f".{path.stem}.partial-{os.getpid()}{path.suffix}")


def temporary_folder(final_folder) -> Path:
    """The temporary name beside ``final_folder`` under which a folder is built before it is
    renamed into place (generated datasets, downloads); ``remove_leftovers`` knows it
    (tool)."""
    final_folder = Path(final_folder)
    return final_folder.with_name(f".{final_folder.name}.partial-{os.getpid()}")


def as_system_error(error: BaseException, path) -> OSError | None:
    """``error`` as the ``OSError`` it really is when a library (TensorFlow's checkpoint
    writer, h5py) reports a full, read-only or forbidden disk in its own exception type,
    naming ``path``; None when it is not about the disk (a real allocation failure stays what
    it is; tool)."""
    if isinstance(error, OSError):
        return error
    text = str(error)
    for words, number in _DISK_PROBLEMS.items():
        if words in text:
            return OSError(number, os.strerror(number), str(path))
    return None


def is_temporary(path) -> bool:
    """Whether ``path`` is the temporary file of a write in progress or killed (tool)."""
    return _TEMPORARY.match(Path(path).name) is not None


def _writer_alive(pid: int) -> bool:
    if pid == os.getpid():
        return True
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    except PermissionError:
        return True
    return True


@contextlib.contextmanager
def written_atomically(path):
    """``with written_atomically(path) as temporary: write(temporary)``: ``path`` appears,
    whole, only when the block ends without an error (tool).

    The folder is created if missing. An ``OSError`` in the block (a full or read-only
    disk) is raised again with ``path`` as its file name; the temporary file is removed.
    """
    path = Path(path)
    if path.is_dir():
        raise IsADirectoryError(errno.EISDIR, "a folder stands where the file should go",
                                str(path))
    temporary = _temporary_beside(path)
    try:
        path.parent.mkdir(parents=True, exist_ok=True)
        yield temporary
        os.replace(temporary, path)
    except Exception as error:
        system = as_system_error(error, path)
        if system is None:
            raise
        if system.filename in (None, str(temporary), temporary) or system is not error:
            raise OSError(system.errno, system.strerror or str(system), str(path)) from None
        raise
    finally:
        with contextlib.suppress(OSError):
            temporary.unlink(missing_ok=True)


def write_json(value, path) -> Path:
    """Write ``value`` as indented JSON to ``path``, whole or not at all; returns
    ``path`` (tool)."""
    path = Path(path)
    with written_atomically(path) as temporary:
        temporary.write_text(json.dumps(value, indent=2, ensure_ascii=False) + "\n",
                             encoding="utf-8")
    return path


def remove_leftovers(folder, recursive: bool = False, empty_files: str | None = None
                     ) -> list[Path]:
    """Delete what killed writers left in ``folder`` and return it (tool): temporary files
    and folders of writers no longer running, and, with ``empty_files`` (a glob such as
    ``"*.png"``), files of that pattern that hold no bytes (a write cut short by a full disk
    before writes were atomic)."""
    folder = Path(folder)
    if not folder.is_dir():
        return []
    removed = []
    for path in (folder.rglob(".*") if recursive else folder.glob(".*")):
        match = _TEMPORARY.match(path.name)
        if match and not _writer_alive(int(match.group(1))):
            with contextlib.suppress(OSError):
                if path.is_dir():
                    shutil.rmtree(path)
                else:
                    path.unlink()
                removed.append(path)
    if empty_files:
        for path in folder.glob(empty_files):
            if path.is_file() and path.stat().st_size == 0:
                with contextlib.suppress(OSError):
                    path.unlink()
                    removed.append(path)
    return removed
