"""Subscriber callbacks (OGC callback conformance class), posted with httpx.

``successUri`` receives the result document, ``failedUri`` the job's statusInfo
with its problem document, ``inProgressUri`` the statusInfo on progress (throttled by
the caller). Each post is retried with exponential backoff
(``GSL_CALLBACK_RETRIES``, ``GSL_CALLBACK_BACKOFF_S``) and goes through the same
address guard as href inputs (also checked when the request is accepted:
:meth:`CallbackPoster.check`). A callback never blocks or fails a job: posting happens
on a small background thread pool and errors are only logged.
"""

from __future__ import annotations

import logging
import threading
import time
from concurrent.futures import Future, ThreadPoolExecutor
from typing import TYPE_CHECKING, Any

import httpx
import orjson

from gsl_service.errors import InvalidInput
from gsl_service.http_reads import post_status
from gsl_service.inputs import AddressGuard, UnresolvableHost, UnsafeURL, pinned_client
from gsl_service.jobs.model import JobInfo, JobStatus, Subscriber

if TYPE_CHECKING:
    from gsl_service.settings import Settings

log = logging.getLogger(__name__)


def callback_status(job: JobInfo) -> dict[str, Any]:
    """Return the statusInfo document posted to callbacks: with the problem of a failed job.

    Examples
    --------
    >>> from gsl_service.jobs.store import now
    >>> t = now()
    >>> callback_status(JobInfo("j", "echo", JobStatus.running, t, t, progress=40))["progress"]
    40
    """
    info = job.status_info()
    if job.error:
        info["exception"] = job.error
    return info


class CallbackPoster:
    """Post callback documents in the background, with retries and the address guard.

    Parameters
    ----------
    guard : AddressGuard
        Addresses that may be called.
    retries : int
        Further attempts after a failed one (backoff ``backoff_s * 2**attempt``).
    timeout_s : float
        Time limit of one attempt.
    backoff_s : float
        First wait between attempts.
    """

    def __init__(
        self,
        guard: AddressGuard,
        retries: int = 3,
        timeout_s: float = 10.0,
        backoff_s: float = 0.5,
        max_threads: int = 4,
    ) -> None:
        self.guard = guard
        self.retries = retries
        self.timeout_s = timeout_s
        self.backoff_s = backoff_s
        self.max_threads = max_threads
        self._pool_obj: ThreadPoolExecutor | None = None
        self._client_obj: httpx.Client | None = None
        self._lock = threading.Lock()
        self._closed = threading.Event()

    # created on first use: most jobs have no subscriber, and a work horse is short-lived
    @property
    def _pool(self) -> ThreadPoolExecutor:
        with self._lock:
            if self._pool_obj is None:
                self._pool_obj = ThreadPoolExecutor(
                    self.max_threads, thread_name_prefix="gsl-callback"
                )
            return self._pool_obj

    @property
    def _client(self) -> httpx.Client:
        with self._lock:
            if self._client_obj is None:
                # vets each post again and connects to the vetted address (no rebinding)
                self._client_obj = pinned_client(self.guard, self.timeout_s)
            return self._client_obj

    @classmethod
    def from_settings(cls, settings: Settings) -> CallbackPoster:
        """Return a poster configured by the settings."""
        return cls(
            AddressGuard(settings.fetch_allowlist),
            retries=settings.callback_retries,
            timeout_s=settings.callback_timeout_s,
            backoff_s=settings.callback_backoff_s,
        )

    def check(self, subscriber: Subscriber | None) -> None:
        """Refuse a subscriber whose callback URIs the address guard refuses.

        Called when a request is accepted, so that a private callback address is a
        400 at once rather than a callback silently dropped later. A host name that
        does not resolve now is accepted (the guard checks it again before posting).

        Raises
        ------
        InvalidInput
            Naming ``subscriber``, the member and the reason.

        Examples
        --------
        >>> poster = CallbackPoster(AddressGuard(["10.0.0.0/8"]))
        >>> poster.check(Subscriber(success_uri="http://10.1.2.3/done"))
        >>> poster.check(Subscriber(failed_uri="http://127.0.0.1:1/cb"))
        Traceback (most recent call last):
        ...
        gsl_service.errors.InvalidInput: subscriber failedUri: http://127.0.0.1:1/cb: address 127.0.0.1 is not public (not in GSL_FETCH_ALLOWLIST)
        """
        if subscriber is None:
            return
        for key, uri in (
            ("successUri", subscriber.success_uri),
            ("inProgressUri", subscriber.in_progress_uri),
            ("failedUri", subscriber.failed_uri),
        ):
            if not uri:
                continue
            try:
                self.guard.check(uri)
            except UnresolvableHost:
                continue
            except UnsafeURL as err:
                raise InvalidInput(f"subscriber {key}: {err}", input_name="subscriber") from None

    def post_now(self, uri: str, body: bytes) -> bool:
        """Post ``body`` to ``uri`` with retries, in the calling thread; return success."""
        try:
            self.guard.check(uri)
        except UnsafeURL as err:
            log.warning("callback refused: %s", err)
            return False
        for attempt in range(self.retries + 1):
            try:
                status = post_status(self._client, uri, body, {"Content-Type": "application/json"})
                if status < 400:
                    return True
                if 400 <= status < 500 and status not in (408, 429):
                    log.warning("callback %s answered %s; not retried", uri, status)
                    return False
                log.info("callback %s answered %s", uri, status)
            except UnsafeURL as err:  # the name now resolves elsewhere
                log.warning("callback refused: %s", err)
                return False
            except httpx.HTTPError as err:
                log.info("callback %s failed: %s", uri, err)
            if attempt < self.retries and not self._closed.is_set():
                time.sleep(self.backoff_s * 2**attempt)
        log.warning("callback %s gave up after %d attempts", uri, self.retries + 1)
        return False

    def post(self, uri: str | None, payload: Any) -> Future[bool] | None:
        """Post ``payload`` (bytes or a JSON value) to ``uri`` in the background."""
        if not uri or self._closed.is_set():
            return None
        body = payload if isinstance(payload, bytes) else orjson.dumps(payload)
        try:
            return self._pool.submit(self.post_now, uri, body)
        except RuntimeError:  # shut down meanwhile
            return None

    def notify(self, job: JobInfo, result: bytes | None = None) -> Future[bool] | None:
        """Post the callback that fits the job's state (success, failure, progress)."""
        sub = job.subscriber
        if sub is None:
            return None
        if job.status is JobStatus.successful:
            return self.post(
                sub.success_uri, result if result is not None else callback_status(job)
            )
        if job.status is JobStatus.failed:
            return self.post(sub.failed_uri, callback_status(job))
        if job.status in (JobStatus.running, JobStatus.accepted):
            return self.post(sub.in_progress_uri, callback_status(job))
        return None

    def close(self, wait: bool = True) -> None:
        """Stop accepting posts; wait for the running ones when ``wait``."""
        self._closed.set()
        if self._pool_obj is not None:
            self._pool_obj.shutdown(wait=wait, cancel_futures=not wait)
        if self._client_obj is not None:
            self._client_obj.close()
