"""The Tygron API trigger: read the session's items, compute as a job, reply in time.

A call (``GET|POST /tygron/trigger?process=…&mapping=tygron&type=EVENT&token=…``):

1. The Referer must be an allowed Tygron server (:class:`~.tygron.TygronServers`);
   otherwise 403 and nothing leaves the service.
2. A worker thread reads the items the mapping needs (and the Globals) from the
   session, maps them to our inputs (:mod:`.mapping`) and submits the execution to the
   engine (:meth:`Engine.submit`): the same validation, cache key, provenance and a job
   in ``/jobs`` as any execution — a cached result finishes the job at once.
3. The request waits for that job until the budget (``budget_ms`` in the query, else
   ``GSL_TYGRON_BUDGET_S``) minus ``GSL_TYGRON_MARGIN_S``. Done in time: the reply holds
   the values (TQL or EVENT form). Not done: the reply is ``{}`` at once, the job keeps
   running, and when it succeeds its values are written back through the session's
   event API (:func:`~.tygron.write_back`), the job's message saying how that went.

The token lives only in the :class:`~.tygron.TygronSession` of the call (memory), for
the write-back; it is in no job record, log line, error or provenance. A write-back
is lost when the API process stops before the job ends (the token is not stored).
"""

from __future__ import annotations

import logging
import threading
import time
from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any

import orjson

from gsl_indicators.core.assemble import output_values
from gsl_indicators.core.spec import Parameter
from gsl_service.adapters.mapping import FieldMapping, apply_mapping, load_mapping
from gsl_service.adapters.tygron import (
    ITEM_TYPES,
    TYGRON_CRS,
    Attributes,
    TygronServers,
    TygronSession,
    TygronUnavailable,
    event_reply,
    global_ids,
    items_as_features,
    result_attributes,
    tql_reply,
    write_back,
)
from gsl_service.errors import InvalidInput, NoSuchProcess, ServiceError
from gsl_service.inputs import AddressGuard
from gsl_service.jobs.model import JobInfo, JobStatus

if TYPE_CHECKING:
    from gsl_service.contract import ExecutionEngine

log = logging.getLogger(__name__)

#: Query parameters of the trigger itself; every other one is a process parameter.
RESERVED = frozenset({"token", "f", "process", "mapping", "type", "budget_ms", "tql_items", "key"})
POLL_S = 0.02


@dataclass
class TriggerRequest:
    """What a trigger's query asks for."""

    process_id: str
    mapping: FieldMapping
    reply_type: str  # "TQL" or "EVENT"
    parameters: dict[str, Any]
    budget_s: float
    tql_items: bool = False


def _value(text: str, param: Parameter | None = None) -> Any:
    """Return a query value as the parameter's type takes it.

    JSON when it parses as JSON (``min_trees=3``), else text (``card=ggo-utrecht-example``);
    for a text parameter the text itself (``area_type=3`` is the area type "3", not a
    number), ``null`` where it may be null; for a list parameter a comma-separated text
    is the list (``constraints=parking-pressure,green-per-dwelling``).

    Examples
    --------
    >>> from gsl_indicators.core.spec import Parameter
    >>> text = Parameter("area_type", "A", "", "string", None, nullable=True)
    >>> _value("3", text), _value("null", text), _value("3")
    ('3', None, 3)
    >>> _value("a,b", Parameter("constraints", "C", "", "array", []))
    ['a', 'b']
    """
    try:
        value = orjson.loads(text)
    except orjson.JSONDecodeError:
        value = text
    if param is None:
        return value
    if param.type == "string" and param.annotation is None and not isinstance(value, str):
        return None if value is None and param.nullable else text
    if param.type == "array" and isinstance(value, str):
        return [item.strip() for item in value.split(",") if item.strip()]
    return value


def parse_trigger(query: Mapping[str, str], engine: ExecutionEngine) -> TriggerRequest:
    """Read a trigger's query (raises InvalidInput / NoSuchProcess, naming the parameter).

    Parameter values are JSON when they parse as JSON (``min_trees=3``), else text
    (``card=ggo-utrecht-example``).
    """
    process_id = query.get("process")
    if not process_id:
        raise InvalidInput(
            "the trigger URL must name what to compute: ?process=<process id>",
            input_name="process",
        )
    if process_id not in engine.registry:
        raise NoSuchProcess(f"no process '{process_id}'; known: {engine.registry.ids()}")
    indicator = engine.registry.get(process_id)
    reply_type = (query.get("type") or "TQL").upper()
    if reply_type not in ("TQL", "EVENT"):
        raise InvalidInput(f"type must be TQL or EVENT, got {reply_type!r}", input_name="type")
    budget_s = engine.settings.tygron_budget_s
    if query.get("budget_ms"):
        try:
            budget_s = float(query["budget_ms"]) / 1000.0
        except ValueError:
            raise InvalidInput(
                "budget_ms must be the trigger's timeout in milliseconds", input_name="budget_ms"
            ) from None
        if not 0 < budget_s <= 600:
            raise InvalidInput("budget_ms must be in (0, 600000]", input_name="budget_ms")
    declared = {p.name: p for p in indicator.parameters}
    names = set(declared)
    params: dict[str, Any] = {}
    for key, text in query.items():
        if key in RESERVED:
            continue
        if key not in names:
            raise InvalidInput(
                f"'{key}' is not a parameter of process '{process_id}' (parameters: "
                f"{sorted(names)}; trigger parameters: {sorted(RESERVED - {'key', 'token'})})",
                input_name=key,
            )
        params[key] = _value(text, declared[key])
    mapping = load_mapping(query.get("mapping") or "tygron")
    return TriggerRequest(
        process_id=process_id,
        mapping=mapping,
        reply_type=reply_type,
        parameters={**mapping.parameters, **params},
        budget_s=budget_s,
        tql_items=query.get("tql_items", "").lower() in ("1", "true", "yes"),
    )


@dataclass
class _Run:
    """The shared state of one trigger call (handler thread and worker thread)."""

    ready: threading.Event = field(default_factory=threading.Event)
    lock: threading.Lock = field(default_factory=threading.Lock)
    job: JobInfo | None = None
    error: ServiceError | None = None
    late: bool = False
    globals: dict[str, int] = field(default_factory=dict)
    item_types: dict[str, str] = field(default_factory=dict)


class TriggerService:
    """Answers Tygron triggers for one engine (kept on ``app.state``)."""

    def __init__(self, engine: ExecutionEngine) -> None:
        self.engine = engine
        s = engine.settings
        self.servers = TygronServers(s.tygron_servers)
        self.guard = AddressGuard([*s.fetch_allowlist, *self.servers.exact_hosts()])
        self.threads: list[threading.Thread] = []

    def session(self, base_url: str, token: str) -> TygronSession:
        """Return a session client (the token stays in it, in memory)."""
        s = self.engine.settings
        return TygronSession(
            base_url, token, self.guard, max_bytes=s.fetch_max_bytes, timeout_s=s.fetch_timeout_s
        )

    def handle(
        self, query: Mapping[str, str], referer: str | None, started: float | None = None
    ) -> tuple[dict[str, Any], JobInfo | None]:
        """Answer one trigger call: ``(reply, job)``; raise a ServiceError to refuse it."""
        started = time.monotonic() if started is None else started
        base_url = self.servers.base_url(referer)  # refused: nothing leaves the service
        token = query.get("token")
        if not token:
            raise InvalidInput(
                "the trigger carries the session's API token in ?token=; none was sent",
                input_name="token",
            )
        req = parse_trigger(query, self.engine)
        deadline = started + req.budget_s - self.engine.settings.tygron_margin_s
        run = _Run()
        worker = threading.Thread(
            target=self._work,
            args=(run, req, self.session(base_url, token)),
            name="gsl-tygron-trigger",
            daemon=True,
        )
        worker.start()
        self.threads = [t for t in self.threads if t.is_alive()] + [worker]
        run.ready.wait(timeout=max(0.0, deadline - time.monotonic()))
        with run.lock:
            if not run.ready.is_set():
                run.late = True  # the worker writes back when the job ends
        if run.late:
            return {}, run.job
        if run.error is not None:
            raise run.error
        assert run.job is not None
        return self._reply(run, req, base_url), run.job

    # -- worker ------------------------------------------------------------------------
    def _work(self, run: _Run, req: TriggerRequest, session: TygronSession) -> None:
        try:
            self._compute(run, req, session)
        except ServiceError as err:
            run.error = err
        except Exception as err:  # never a traceback with the token in it: none is there
            log.exception("Tygron trigger failed")
            run.error = ServiceError(f"the trigger failed: {type(err).__name__}")
        with run.lock:
            late = run.late
            run.ready.set()
        try:
            if late and run.job is not None and run.error is None:
                self._write_back(run, req, session)
            elif late and run.error is not None and run.job is None:
                log.warning("Tygron trigger after its reply: %s", run.error.detail)
        finally:
            session.close()

    def _compute(self, run: _Run, req: TriggerRequest, session: TygronSession) -> None:
        kinds = [k for k in req.mapping.sources() if k in ITEM_TYPES]
        layers = {k: items_as_features(session.items(k)) for k in kinds}
        run.globals = global_ids(session.items("globals"))
        run.item_types = {
            layer.name: layer.source for layer in req.mapping.layers if layer.source in ITEM_TYPES
        }
        inputs: dict[str, Any] = dict(apply_mapping(req.mapping, layers, crs=TYGRON_CRS))
        inputs.update(req.parameters)
        run.job = self.engine.submit(req.process_id, inputs)
        limit = time.monotonic() + self.engine.settings.job_timeout_s + 60
        while run.job.status in (JobStatus.accepted, JobStatus.running):
            if time.monotonic() > limit:
                break
            time.sleep(POLL_S)
            run.job = self.engine.get_job(run.job.job_id)

    def _attributes(self, run: _Run, req: TriggerRequest) -> Attributes:
        assert run.job is not None
        if run.job.status is not JobStatus.successful:
            return Attributes()
        _, body = self.engine.get_job_result(run.job.job_id)
        return result_attributes(req.process_id, output_values(orjson.loads(body)), run.item_types)

    def _reply(self, run: _Run, req: TriggerRequest, server: str) -> dict[str, Any]:
        attrs = self._attributes(run, req)
        reply: dict[str, Any] = (
            event_reply(attrs, run.globals)
            if req.reply_type == "EVENT"
            else tql_reply(attrs, items=req.tql_items)
        )
        assert run.job is not None
        if run.job.status is JobStatus.successful:
            self._note(
                run.job,
                f"Tygron trigger ({req.reply_type}) answered in time: {len(reply)} keys, "
                f"{attrs.count()} values",
                {"server": server, "reply": req.reply_type, "answered": "in time"},
            )
        return reply

    def _write_back(self, run: _Run, req: TriggerRequest, session: TygronSession) -> None:
        assert run.job is not None
        info = {"server": session.base_url, "reply": req.reply_type, "answered": "empty, late"}
        if run.job.status is not JobStatus.successful:
            return  # the job's own status says why
        s = self.engine.settings
        try:
            attrs = self._attributes(run, req)
            done = write_back(
                session,
                attrs,
                run.globals,
                retries=s.tygron_writeback_retries,
                backoff_s=s.tygron_writeback_backoff_s,
            )
            self._note(run.job, f"written back to Tygron: {done}", {**info, "writeback": "done"})
        except TygronUnavailable as err:
            self._note(
                run.job,
                f"write-back to Tygron stopped: {err.detail}",
                {**info, "writeback": "failed", "status": err.code},
            )

    def _note(self, job: JobInfo, message: str, tygron: dict[str, Any]) -> None:
        """Record the trigger's outcome on its (successful) job."""
        try:
            self.engine.annotate(job.job_id, message, {"tygron": tygron})
        except Exception:  # the reply or write-back matters more than its note
            log.exception("could not note the Tygron trigger on job %s", job.job_id)

    def join(self, timeout: float = 5.0) -> None:
        """Wait for the trigger threads (tests, shutdown)."""
        for t in list(self.threads):
            t.join(timeout)
