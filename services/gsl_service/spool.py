"""The spool: a bounded, content-addressed folder of fetched input files.

A province's files (hundreds of MB of FlatGeobuf or GeoParquet) never travel through
the job store. At submission the service streams a referenced file into its spool,
computing the sha256 as the bytes come, and the job keeps only the *reference* pinned
by that digest (:func:`gsl_indicators.core.sources.file_source`). Where the job runs,
:meth:`Spool.locate` gives a local copy of that very content: the one in this spool
(the embedded engine's children share the API's folder), or one fetched again — by
the worker, under the same address guard and size and time limits
(:class:`~gsl_service.inputs.Fetcher`) — and verified against the pinned sha256. A
file that changed at its address since submission fails the job with a problem
naming the input (a digest mismatch), never a silently different answer.

Files are named by their sha256 and written whole before they appear (a temporary
name, then an atomic rename), so a name always means that content and processes
sharing the folder never read half a file; later jobs and tiles on the same machine
reuse it. The folder is bounded (``GSL_SPOOL_MAX_BYTES``): beyond it, the least
recently used files are removed (a file in use stays readable by whoever opened it).
"""

from __future__ import annotations

import hashlib
import logging
import os
import tempfile
import threading
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from pathlib import Path
from typing import Any, BinaryIO

import httpx

from gsl_indicators.core import sources
from gsl_indicators.core.spec import InputError
from gsl_service.errors import FetchError

log = logging.getLogger(__name__)

#: Bytes of a file kept to sniff its format.
HEAD_BYTES = 64


@dataclass
class Spooled:
    """A file written into the spool: where, its digest and size, and what the server said."""

    path: Path
    sha256: str
    size: int
    head: bytes
    headers: httpx.Headers
    final: str


class _HashingSink:
    """A file-like sink that hashes, counts and keeps the first bytes of what it writes."""

    def __init__(self, out: BinaryIO) -> None:
        self.out = out
        self.hash = hashlib.sha256()
        self.size = 0
        self.head = b""

    def write(self, chunk: bytes) -> int:
        self.hash.update(chunk)
        if len(self.head) < HEAD_BYTES:
            self.head += chunk[: HEAD_BYTES - len(self.head)]
        self.size += len(chunk)
        return self.out.write(chunk)


class Spool:
    """A content-addressed folder of input files (see the module text).

    Parameters
    ----------
    directory : Path
        The folder (created when missing).
    max_bytes : int
        Size the folder is kept under by removing the least recently used files (the
        file just written or located is never removed by its own call).
    fetch : callable, optional
        ``(input name, url, sink) -> (body, headers, final url)``: fetches a URL under
        the service's guard and limits, writing to ``sink``. :meth:`locate` needs it
        when a file is not here; :func:`for_settings` passes a
        :class:`~gsl_service.inputs.Fetcher`'s.
    """

    def __init__(
        self,
        directory: Path,
        max_bytes: int,
        fetch: Callable[[str, str, BinaryIO], tuple[bytes, httpx.Headers, str]] | None = None,
    ) -> None:
        self.directory = Path(directory)
        self.directory.mkdir(parents=True, exist_ok=True)
        self.max_bytes = max_bytes
        self.fetch = fetch
        self._lock = threading.Lock()

    def path(self, sha256: str) -> Path:
        """Return where the file of content ``sha256`` is (or would be) kept."""
        if len(sha256) != 64 or any(c not in "0123456789abcdef" for c in sha256):
            raise ValueError(f"not a sha256 digest: {sha256!r}")
        return self.directory / sha256

    def download(self, get: Callable[[BinaryIO], tuple[bytes, httpx.Headers, str]]) -> Spooled:
        """Write what ``get(sink)`` streams into the spool under its sha256; return it.

        ``get`` raises (nothing is kept) when the fetch fails or goes past its limits.
        Threads may download at once (a request's references are fetched a few at a
        time): each writes its own temporary file, the rename is atomic (the same
        content twice gives one file) and the trim holds the spool's lock. Files still
        being written do not count towards ``max_bytes``, so the folder may hold that
        much plus the downloads under way; one download's trim may remove another's
        finished file, as a later download's did when they ran in turn.
        """
        fd, tmp = tempfile.mkstemp(dir=self.directory, prefix=".part-")
        try:
            with os.fdopen(fd, "wb") as out:
                sink = _HashingSink(out)
                _, headers, final = get(sink)  # type: ignore[arg-type]
            sha = sink.hash.hexdigest()
            target = self.path(sha)
            os.replace(tmp, target)
        except BaseException:
            Path(tmp).unlink(missing_ok=True)
            raise
        self._trim(keep=target)
        return Spooled(target, sha, sink.size, sink.head, headers, final)

    def locate(self, name: str, value: Mapping[str, Any]) -> str:
        """Return the path of a local copy of a file source by reference (the locator).

        The copy in the spool when there is one; else the file is fetched from its
        ``href`` and kept only when its content has the pinned sha256.

        Raises
        ------
        InputError
            Naming the input: the fetch was refused or failed, or the content at the
            address is not the one pinned at submission (digest mismatch).
        """
        sha = str(value["sha256"]).lower()
        target = self.path(sha)
        try:
            os.utime(target)  # just used: its mtime orders the removals
            return str(target)
        except FileNotFoundError:
            pass
        href = str(value.get("href"))
        if self.fetch is None:
            raise InputError(name, f"{href} is not in the spool and cannot be fetched here")
        fetch = self.fetch
        try:
            got = self.download(lambda sink: fetch(name, href, sink))
        except FetchError as err:
            raise InputError(name, str(err).removeprefix(f"input '{name}': ")) from None
        if got.sha256 != sha:  # the new content stays, under its own name
            raise InputError(
                name,
                f"the file at {href} changed since the job was submitted (digest mismatch: "
                f"sha256 {got.sha256} now, {sha} when submitted); submit the job again "
                "to compute with the new file",
            )
        return str(got.path)

    def _trim(self, keep: Path) -> None:
        """Remove the least recently used files while the folder is over its bound."""
        with self._lock:
            files = []
            for p in self.directory.iterdir():
                if p.name.startswith(".") or p == keep:
                    continue
                try:
                    st = p.stat()
                except FileNotFoundError:
                    continue
                files.append((st.st_mtime, st.st_size, p))
            try:
                total = sum(size for _, size, _ in files) + keep.stat().st_size
            except FileNotFoundError:
                total = sum(size for _, size, _ in files)
            for _, size, p in sorted(files, key=lambda f: f[0]):
                if total <= self.max_bytes:
                    break
                p.unlink(missing_ok=True)
                total -= size
                log.info(
                    "spool: removed %s (%d bytes) to stay under %d", p.name, size, self.max_bytes
                )

    def size(self) -> int:
        """Return the bytes the spool's files take."""
        return sum(p.stat().st_size for p in self.directory.iterdir() if not p.name.startswith("."))


_SPOOLS: dict[tuple[Any, ...], Spool] = {}


def for_settings(settings: Any) -> Spool:
    """Return this process's spool for ``settings`` (with a fetcher under its guard and limits)."""
    from gsl_service.inputs import AddressGuard, Fetcher

    directory = Path(settings.spool_path).resolve()
    k = (
        os.getpid(),
        str(directory),
        settings.spool_max_bytes,
        settings.fetch_allowlist,
        settings.fetch_max_bytes,
        settings.fetch_timeout_s,
    )
    spool = _SPOOLS.get(k)
    if spool is None:
        fetcher = Fetcher(
            AddressGuard(settings.fetch_allowlist),
            max_bytes=settings.fetch_max_bytes,
            timeout_s=settings.fetch_timeout_s,
            max_pages=settings.fetch_max_pages,
        )

        spool = _SPOOLS[k] = Spool(directory, settings.spool_max_bytes, fetcher.fetch_to)
    return spool


def use_spool(settings: Any) -> Spool:
    """Make this process read file sources by reference through its spool; return it."""
    spool = for_settings(settings)
    sources.set_locator(spool.locate)
    return spool
