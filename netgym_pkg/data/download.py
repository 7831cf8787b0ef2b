"""``fetch``: download data sets into the data root, each file checked against its sha256.

Downloads use the standard library (``urllib``): the files are small text files served over
plain HTTPS, so a client library would add a dependency without adding anything needed here
(retries, timeouts and resumable runs are a few lines below). Each file is streamed into a
hidden temporary file in its target folder while its sha256 is computed, and renamed to its
name only after its size and checksum match the manifest, so an interrupted or failed fetch
never leaves a file that looks valid. Files already present and valid are skipped, so running
the same fetch again resumes it. Transient failures (a dropped connection, a timeout, HTTP 5xx
or 429) are retried with exponential backoff; a 404, a checksum mismatch, a refused connection
or no network stop the fetch with a one-line ``FetchError`` naming the URL and the file.
"""

from __future__ import annotations

import errno
import hashlib
import http.client
import logging
import os
import socket
import tempfile
import threading
import time
from collections.abc import Callable, Sequence
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass, field
from pathlib import Path
from urllib.error import HTTPError, URLError
from urllib.parse import urlsplit
from urllib.request import Request, urlopen

from .local import MIRROR_ENV, check_files, data_root
from .manifest import DataFile, Dataset, get_dataset, load_manifest

logger = logging.getLogger(__name__)

BLOCK_BYTES = 1 << 16
"""bytes read per call while streaming a file"""
TRANSIENT_HTTP = (429, 500, 502, 503, 504)
"""HTTP statuses that are retried"""


@dataclass
class FetchProgress:
    """Where a fetch stands; passed to the progress callback after every change."""

    files_total: int
    bytes_total: int
    files_done: int = 0
    """files finished (downloaded or already valid)"""
    bytes_done: int = 0
    files_skipped: int = 0
    """files that were already present and valid"""
    current: str = ""
    """the file last started or finished, ``<data set>/<file>``"""


ProgressCallback = Callable[[FetchProgress], None]


@dataclass
class FetchReport:
    """What a fetch did."""

    root: Path
    datasets: list[str]
    downloaded: list[str] = field(default_factory=list)
    """``<data set>/<file>`` of each file downloaded"""
    skipped: list[str] = field(default_factory=list)
    """files that were already present and valid"""
    bytes_downloaded: int = 0


class FetchError(OSError):
    """A file could not be fetched; the message (one line) names the URL and the file."""


class _Transient(Exception):
    """A failure worth retrying (dropped connection, timeout, HTTP 5xx)."""


def normalise_mirror(mirror: str | None) -> str | None:
    """``mirror`` (else ``$NETGYM_DATA_MIRROR``) as a URL: an existing folder becomes a
    ``file://`` URL.

    Raises:
        ValueError: a scheme other than http, https or file.
    """
    mirror = mirror or os.environ.get(MIRROR_ENV) or None
    if mirror is None:
        return None
    if not urlsplit(mirror).scheme and Path(mirror).expanduser().is_dir():
        return Path(mirror).expanduser().absolute().as_uri()
    scheme = urlsplit(mirror).scheme
    if scheme not in ("http", "https", "file"):
        raise ValueError(
            f"mirror {mirror!r} must be an http://, https:// or file:// URL or an existing folder"
        )
    return mirror.rstrip("/")


class _Fetcher:
    """The shared state of one fetch: counters, the progress callback, the stop flag."""

    def __init__(
        self,
        progress: FetchProgress,
        callback: ProgressCallback | None,
        retries: int,
        backoff_s: float,
        timeout_s: float,
    ) -> None:
        self.state = progress
        self.callback = callback
        self.retries = retries
        self.backoff_s = backoff_s
        self.timeout_s = timeout_s
        self.lock = threading.Lock()
        self.stop = threading.Event()

    def report(self, bytes_delta: int = 0, files_delta: int = 0, current: str = "") -> None:
        with self.lock:
            self.state.bytes_done += bytes_delta
            self.state.files_done += files_delta
            if current:
                self.state.current = current
            if self.callback is not None:
                self.callback(self.state)

    def fetch_file(self, dataset: Dataset, entry: DataFile, url: str, target: Path) -> int:
        """Download one file with bounded retries; return its size."""
        label = f"{dataset.name}/{entry.name}"
        for attempt in range(self.retries + 1):
            if self.stop.is_set():
                return 0
            try:
                self._download(entry, url, target, label)
            except FetchError:
                self.stop.set()  # the files not started yet are not fetched
                raise
            except _Transient as err:
                if attempt == self.retries:
                    tries = "1 try" if self.retries == 0 else f"{self.retries + 1} tries"
                    self.stop.set()
                    raise FetchError(f"{err} (gave up after {tries})") from None
                delay = self.backoff_s * 2**attempt
                logger.info("%s; retrying in %.1f s", err, delay)
                time.sleep(delay)
            else:
                self.report(files_delta=1, current=label)
                return entry.size
        raise AssertionError("unreachable")  # pragma: no cover

    def _download(self, entry: DataFile, url: str, target: Path, label: str) -> None:
        """One attempt: stream into a temporary file, check it, rename it into place."""
        handle = tempfile.NamedTemporaryFile(
            dir=target.parent, prefix=f".{target.name}.part-", delete=False
        )
        received = 0
        try:
            digest = hashlib.sha256()
            request = Request(url, headers={"User-Agent": "netgym-data"})
            with handle, urlopen(request, timeout=self.timeout_s) as response:
                while True:
                    block = response.read(BLOCK_BYTES)
                    if not block:
                        break
                    received += len(block)
                    if received > entry.size:
                        raise FetchError(
                            f"{url} (file {label}) sent more than the manifest's "
                            f"{entry.size} bytes; the download was removed"
                        )
                    digest.update(block)
                    handle.write(block)
                    self.report(bytes_delta=len(block), current=label)
            if received != entry.size:
                raise _Transient(
                    f"the connection dropped after {received} of {entry.size} bytes of "
                    f"{url} (file {label})"
                )
            if digest.hexdigest() != entry.sha256:
                raise FetchError(
                    f"checksum mismatch for {label} from {url}: sha256 {digest.hexdigest()}, "
                    f"the manifest says {entry.sha256}; the download was removed"
                )
            os.replace(handle.name, target)
        except HTTPError as err:
            err.close()
            message = f"HTTP {err.code} {err.reason} for {url} (file {label})"
            if err.code in TRANSIENT_HTTP:
                raise _Transient(message) from None
            if err.code == 404:
                message += ": the server does not have this file (check --mirror URL)"
            raise FetchError(message) from None
        except URLError as err:
            raise self._url_error(err.reason, url, label, target) from None
        except (http.client.HTTPException, ConnectionError, TimeoutError) as err:
            what = "timed out" if isinstance(err, TimeoutError) else "dropped the connection"
            raise _Transient(
                f"{urlsplit(url).netloc or url} {what} after {received} of {entry.size} "
                f"bytes of {url} (file {label})"
            ) from None
        finally:
            if received and not target.is_file():
                self.report(bytes_delta=-received)  # a failed attempt's bytes do not count
            Path(handle.name).unlink(missing_ok=True)

    def _url_error(self, reason: object, url: str, label: str, target: Path) -> Exception:
        """The error for a ``URLError``'s reason: refused, no network, timeout, not found."""
        host = urlsplit(url).netloc or url
        folder = target.parent
        hint = f"run with --mirror URL or copy the files to {folder}"
        if isinstance(reason, ConnectionRefusedError):
            return FetchError(f"connection refused by {host} for {url} (file {label}): {hint}")
        if isinstance(reason, socket.gaierror) or (
            isinstance(reason, OSError)
            and reason.errno in (errno.ENETUNREACH, errno.EHOSTUNREACH, errno.ENETDOWN)
        ):
            return FetchError(f"no network: cannot reach {host} for {url} (file {label}): {hint}")
        if isinstance(reason, TimeoutError) or "timed out" in str(reason):
            return _Transient(f"{host} timed out for {url} (file {label})")
        if isinstance(reason, FileNotFoundError):
            return FetchError(f"not found: {url} (file {label}); check --mirror URL")
        return FetchError(f"cannot download {url} (file {label}): {reason}: {hint}")


def _plan(
    datasets: Sequence[Dataset], root: Path, mirror: str | None
) -> tuple[list[tuple[Dataset, DataFile, str, Path]], list[str]]:
    """(files to download with URL and target, files already valid); removes invalid files
    and stale temporary files from earlier interrupted fetches."""
    todo, valid = [], []
    for dataset in datasets:
        folder = root / dataset.name
        bad = {p.file for p in check_files(dataset, folder)}
        for entry in dataset.files:
            target = folder / entry.name
            target.parent.mkdir(parents=True, exist_ok=True)
            for stale in target.parent.glob(f".{target.name}.part-*"):
                stale.unlink(missing_ok=True)
            if entry.name not in bad:
                valid.append(f"{dataset.name}/{entry.name}")
                continue
            if target.exists():
                logger.info("%s does not match the manifest; fetching it again", target)
                target.unlink()
            todo.append((dataset, entry, dataset.url(entry, mirror), target))
    return todo, valid


def fetch(
    names: Sequence[str] | None = None,
    root: str | os.PathLike | None = None,
    mirror: str | None = None,
    workers: int = 4,
    retries: int = 3,
    backoff_s: float = 1.0,
    timeout_s: float = 30.0,
    progress: ProgressCallback | None = None,
) -> FetchReport:
    """Download the data sets ``names`` (default: all) into the data root, verified.

    Args:
        names: data set names (full ``abr/fcc-test`` or short ``fcc-test``); None: every one.
        root: the data root (None: ``$NETGYM_DATA``, else the user cache).
        mirror: fetch ``<mirror>/<name>/<file>`` instead of the upstream URL (None:
            ``$NETGYM_DATA_MIRROR``, else upstream); an existing folder is read directly.
        workers: files downloaded in parallel.
        retries: further tries of a file after a transient failure.
        backoff_s: wait before the first retry; doubled for each further one.
        timeout_s: seconds without data before a connection counts as timed out.
        progress: called with a ``FetchProgress`` after every block and every file.

    Returns:
        The files downloaded and those skipped because they were already valid.

    Raises:
        FetchError: a file could not be fetched (the message names its URL and file); the
            files fetched before stay, valid, and a second run resumes.
        ValueError: an unknown data set name or a bad mirror.
    """
    if workers < 1:
        raise ValueError(f"workers must be >= 1, got {workers}")
    if retries < 0:
        raise ValueError(f"retries must be >= 0, got {retries}")
    datasets = [get_dataset(n) for n in (load_manifest() if names is None else names)]
    datasets = list({d.name: d for d in datasets}.values())
    base = data_root(root)
    mirror = normalise_mirror(mirror)
    todo, valid = _plan(datasets, base, mirror)
    state = FetchProgress(
        files_total=sum(len(d.files) for d in datasets),
        bytes_total=sum(d.size for d in datasets),
        files_done=len(valid),
        files_skipped=len(valid),
    )
    state.bytes_done = state.bytes_total - sum(entry.size for _, entry, _, _ in todo)
    report = FetchReport(root=base, datasets=[d.name for d in datasets], skipped=valid)
    fetcher = _Fetcher(state, progress, retries, backoff_s, timeout_s)
    fetcher.report()
    errors: list[FetchError] = []
    with ThreadPoolExecutor(max_workers=workers, thread_name_prefix="netgym-fetch") as pool:
        futures = {pool.submit(fetcher.fetch_file, *job): job for job in todo}
        try:
            for future, (dataset, entry, _, target) in futures.items():
                try:
                    size = future.result()
                except FetchError as err:
                    errors.append(err)
                    fetcher.stop.set()
                    continue
                if size and target.is_file():
                    report.downloaded.append(f"{dataset.name}/{entry.name}")
                    report.bytes_downloaded += size
        except BaseException:
            fetcher.stop.set()
            raise
    if errors:
        more = f" ({len(errors) - 1} more files failed)" if len(errors) > 1 else ""
        raise FetchError(f"{errors[0]}{more}")
    return report


__all__ = [
    "FetchError",
    "FetchProgress",
    "FetchReport",
    "ProgressCallback",
    "fetch",
    "normalise_mirror",
]
