"""Downloading the standard pix2pix datasets with ``keras.utils.get_file``.

Introduced in notebook 01. Keras downloads the archive (with a progress bar) and extracts
it, skipping members whose path would leave the extraction folder. Skipping quietly is not
enough here: a dataset with files missing would look whole. So every archive is checked
first and refused outright if a member is unsafe or the archive is truncated; it is then
extracted into a staging folder and renamed into ``data/<name>`` only when every file is
there. On any failure the staging folder, download included, is deleted, so a retry
downloads afresh and no half-extracted dataset is ever left under the final name.
"""

from __future__ import annotations

import contextlib
import os
import shutil
import socket
import tarfile
import zlib
from pathlib import Path, PurePosixPath

import keras

from p2plib.errors import DatasetError
from p2plib.files import remove_leftovers, temporary_folder

__all__ = [
    "BASE_URL_ENV", "DEFAULT_BASE_URL", "DEFAULT_TIMEOUT", "DownloadError", "TIMEOUT_ENV",
    "UnsafeArchiveError", "archive_url", "check_archive", "download", "resolve_base_url",
    "stall_seconds",
]

DEFAULT_BASE_URL = "http://efrosgans.eecs.berkeley.edu/pix2pix/datasets/"
"""Where the pix2pix authors serve the standard datasets (notebook 01)."""

TIMEOUT_ENV = "P2P_DOWNLOAD_TIMEOUT"
"""The environment variable for how long a download may stall, in seconds (tool)."""
DEFAULT_TIMEOUT = 60.0
"""Seconds a download may receive nothing before it is given up (tool)."""
BASE_URL_ENV = "P2P_DATASETS_URL"
"""The environment variable that points the downloads at a mirror (notebook 01)."""


class DownloadError(DatasetError):
    """A download that failed, or an archive truncated, corrupt or laid out unexpectedly
    (tool)."""


class UnsafeArchiveError(DownloadError):
    """An archive holding a member that would be written outside its target folder (tool)."""


def resolve_base_url(base_url: str | None = None) -> str:
    """The base address: the argument, else ``$P2P_DATASETS_URL``, else the pix2pix host
    (tool)."""
    url = base_url or os.environ.get(BASE_URL_ENV) or DEFAULT_BASE_URL
    return url if url.endswith("/") else url + "/"


def archive_url(name: str, base_url: str | None = None) -> str:
    """Where ``<name>.tar.gz`` is fetched from (tool)."""
    return resolve_base_url(base_url) + f"{name}.tar.gz"


def _unsafe_reason(member: tarfile.TarInfo, target: Path) -> str | None:
    name = member.name
    if name.startswith(("/", "\\")) or (len(name) > 1 and name[1] == ":"):
        return f"is an absolute path, so it would be written outside {target}"
    if ".." in PurePosixPath(name.replace("\\", "/")).parts:
        return f"climbs out with '..', so it would be written outside {target}"
    if member.issym() or member.islnk():
        return (f"is a link to {member.linkname!r}, which could lead outside {target} "
                "(these archives hold only plain files and folders)")
    if not (member.isfile() or member.isdir()):
        return "is a special file (these archives hold only plain files and folders)"
    return None


def check_archive(archive: Path, name: str, url: str, target: Path) -> dict[str, int]:
    """Read the whole archive and return ``{member path: size}`` of its files (tool).

    Raises ``UnsafeArchiveError`` for a member that would land outside ``target`` and
    ``DownloadError`` for a truncated or corrupt archive or one not laid out as
    ``<name>/<split>/...``.
    """
    files: dict[str, int] = {}
    try:
        with tarfile.open(archive, "r:*") as tar:
            for member in tar:  # stepping over each member decompresses all of it
                reason = _unsafe_reason(member, target)
                if reason:
                    raise UnsafeArchiveError(
                        f"refusing to extract {url}: member {member.name!r} {reason}. Nothing "
                        "was extracted and the download was deleted; check that the address "
                        "serves the real dataset."
                    )
                top = PurePosixPath(member.name).parts[0] if member.name else ""
                if top != name:
                    raise DownloadError(
                        f"{url} is not laid out as {name}/<split>/...: member "
                        f"{member.name!r} is outside the folder {name}/"
                    )
                if member.isfile():
                    files[str(PurePosixPath(member.name))] = member.size
    except (tarfile.TarError, EOFError, zlib.error, OSError) as error:
        raise DownloadError(
            f"the archive downloaded from {url} is truncated or corrupt ({error}). "
            "It was deleted and nothing was extracted; call again to download it afresh."
        ) from error
    if not files:
        raise DownloadError(f"the archive downloaded from {url} holds no files")
    return files


def _timed_out(error: BaseException) -> bool:
    while error is not None:
        if isinstance(error, (TimeoutError, socket.timeout)) or "timed out" in str(error):
            return True
        error = error.__cause__ or error.__context__
    return False


def _check_extracted(folder: Path, files: dict[str, int], url: str) -> None:
    for member, size in files.items():
        path = folder / member
        if not path.is_file() or path.stat().st_size != size:
            raise DownloadError(
                f"extracting {url} left {path} missing or incomplete; nothing was kept, "
                "call again to retry"
            )


def stall_seconds(timeout=None) -> float:
    """How long a download may receive nothing before it is given up: ``timeout``, else
    ``$P2P_DOWNLOAD_TIMEOUT``, else 60 seconds (tool)."""
    value = timeout if timeout is not None else os.environ.get(TIMEOUT_ENV) or DEFAULT_TIMEOUT
    try:
        seconds = float(value)
    except (TypeError, ValueError):
        seconds = -1.0
    if not seconds > 0:
        raise DownloadError(f"a download timeout must be a positive number of seconds, got "
                            f"{value!r} (argument timeout or ${TIMEOUT_ENV}).")
    return seconds


@contextlib.contextmanager
def _socket_timeout(seconds: float):
    # Keras's get_file reads with urllib without a timeout, which then uses the default one.
    saved = socket.getdefaulttimeout()
    socket.setdefaulttimeout(seconds)
    try:
        yield
    finally:
        socket.setdefaulttimeout(saved)


def download(name: str, data_dir: Path, base_url: str | None = None,
             file_hash: str | None = None, timeout=None) -> Path:
    """Download and extract ``<name>.tar.gz`` into ``data_dir/<name>``; return it (tool).

    Does nothing when the folder is there already. ``file_hash`` (sha256 or md5), when
    given, is checked by Keras before anything is extracted. A connection that delivers
    nothing for ``stall_seconds(timeout)`` ends with a ``DownloadError`` naming the address,
    and nothing is left behind.
    """
    seconds = stall_seconds(timeout)

    data_dir = Path(data_dir).resolve()
    final_dir = data_dir / name
    if final_dir.is_dir():
        return final_dir
    url = archive_url(name, base_url)
    # Staging folders left behind are from downloads that were killed (the finally below
    # never ran): their archives may be partial, and Keras would reuse one. Start over.
    remove_leftovers(data_dir)
    staging = temporary_folder(final_dir)
    shutil.rmtree(staging, ignore_errors=True)
    staging.mkdir(parents=True, exist_ok=True)
    get_file_args = dict(
        fname=f"{name}.tar.gz",
        origin=url,
        cache_dir=str(data_dir),
        cache_subdir=str(staging),  # absolute, so Keras uses it as is
        file_hash=file_hash,
    )
    try:
        try:
            with _socket_timeout(seconds):
                archive = Path(keras.utils.get_file(**get_file_args))
        except Exception as error:
            if _timed_out(error):
                raise DownloadError(
                    f"{url} sent nothing for {seconds:g} s, so the download was given up and "
                    "nothing was kept; try again later, use a mirror (--base-url or "
                    f"${BASE_URL_ENV}), or wait longer with ${TIMEOUT_ENV}.") from None
            raise DownloadError(
                f"could not download {name} from {url}: {error}. Check the address (argument "
                f"base_url or ${BASE_URL_ENV}) and the network, then call again."
            ) from error
        files = check_archive(archive, name, url, final_dir)
        # the archive is in place, so this call only extracts (Keras's safe extraction)
        extracted = Path(keras.utils.get_file(**get_file_args, extract=True))
        _check_extracted(extracted, files, url)
        os.rename(extracted / name, final_dir)
    finally:
        shutil.rmtree(staging, ignore_errors=True)
    return final_dir
