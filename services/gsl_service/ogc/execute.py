"""``POST /processes/{id}/execution``: parse the request, run it through the engine.

This is the hot path (a cached execution must cost little more than returning the
bytes), so it does not go through pygeoapi's ``execute_process``, which matches
``Prefer`` exactly, answers a non-object body with a 500 and re-serialises the
result. The engine's result document bytes are returned as they are.

A repeated synchronous request skips parsing, validation and input digests: the
sha256 of its raw bytes is looked up in ``engine.request_keys`` (filled after a
successful execution of a request without href inputs), which gives the canonical
cache key and the parsed envelope; ``engine.execute_cached`` serves the hit. Other
bytes for the same request (key order, ``30`` vs ``30.0``) take the full path once
and arrive at the same canonical key.

**Large per-feature outputs by reference.** A per-feature output of more than
``GSL_INLINE_FEATURES_MAX`` features is not answered inline: the result document
gives a link in its place (OGC ``transmissionMode: reference``) to
``/jobs/{id}/results/{output}?f=flatgeobuf`` — or the format the request's
``outputs.{output}.format.mediaType`` names (GeoJSON, FlatGeobuf, GeoParquet,
GeoPackage, CSV). ``transmissionMode: value`` asks for the output inline whatever its
size; ``reference`` asks for a link whatever its size. The stored document (and the
cache) always hold the whole result; the links are made when it is answered.
"""

from __future__ import annotations

import dataclasses
from collections.abc import Callable, Iterable, Mapping
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

import orjson

from gsl_indicators.core.canonical import canonical_json
from gsl_indicators.core.geo import paused_gc
from gsl_indicators.core.spec import Indicator, Registry
from gsl_service import result_parts
from gsl_service.adapters.mapping import load_mapping, map_request_inputs
from gsl_service.cache import request_digest
from gsl_service.engine import Outcome
from gsl_service.errors import InvalidInput, JobFailed, NoSuchProcess
from gsl_service.inputs import has_href
from gsl_service.jobs.model import JobInfo, JobStatus, Subscriber
from gsl_service.limits import check_features, check_json_depth
from gsl_service.ogc.handlers import status_document
from gsl_service.ogc.prefer import wants_async
from gsl_service.references import resolve_references

if TYPE_CHECKING:
    from gsl_service.contract import ExecutionEngine

JSON = "application/json"
#: Members of an execute request (OGC API – Processes 1.0, and ``mapping`` of our own).
REQUEST_MEMBERS = ("inputs", "outputs", "response", "subscriber", "mapping")

#: Members of every result document besides the indicator's outputs.
META_OUTPUTS = ("provenance", "data_quality")
#: The smallest GeoJSON Feature (``{"type":"Feature","geometry":null,"properties":{}}``
#: is 51 bytes): a document shorter than this many bytes per feature of the inline
#: limit cannot hold an output beyond it, so it is answered without being parsed.
MIN_FEATURE_BYTES = 51
#: Formats of an output by reference, by media type (``outputs.{id}.format.mediaType``).
REFERENCE_FORMATS = {
    "application/flatgeobuf": "flatgeobuf",
    "application/vnd.apache.parquet": "geoparquet",
    "application/geo+json": "geojson",
    "application/geopackage+sqlite3": "gpkg",
    "text/csv": "csv",
}
#: The format of a link when the request names none: FlatGeobuf streams and is
#: opened by URL in QGIS and GDAL.
DEFAULT_REFERENCE_FORMAT = "application/flatgeobuf"


@dataclass(frozen=True)
class ResultLinks:
    """Where a recorded job's outputs can be downloaded (for outputs by reference)."""

    base_url: str
    job_id: str
    inline_max: int
    #: The document holds parts (large outputs stored beside it): links to their files.
    parts: bool = False


@dataclass(frozen=True)
class Answer:
    """A result shaped as its request asked: bytes and their media type, or links alone.

    ``links`` (``Link`` header values) is set for ``response: raw`` with every selected
    output by reference (OGC /req/core/job-creation-sync-raw-ref and
    /req/core/job-results-async-raw-ref): the answer is then a 204 without content, a
    link to each output in its ``Link`` headers.
    """

    content: bytes
    media: str
    links: tuple[str, ...] = ()


@dataclass
class ExecuteRequest:
    """A parsed OGC execute request."""

    inputs: dict[str, Any]
    outputs: dict[str, Any] | None
    response: str
    subscriber: Subscriber | None
    asynchronous: bool
    #: A field mapping (catalog id or inline object): the inputs are source layers.
    mapping: Any = None


def parse_execute_request(
    indicator: Indicator, body: bytes, prefer: str | Iterable[str] | None
) -> ExecuteRequest:
    """Parse and check the structure of an execute request body.

    Input values are validated by the engine against the indicator's schema; this
    checks the envelope: JSON object, ``inputs`` an object, ``outputs`` known,
    ``response`` raw or document, ``subscriber`` URIs strings.

    Raises
    ------
    InvalidInput
        Naming the member and the reason (a 400 ``invalid-parameter-value``).

    Examples
    --------
    >>> from gsl_indicators.core.spec import registry
    >>> r = parse_execute_request(registry().get("echo"), b'{"inputs": {"message": "hoi"}}',
    ...                           "respond-async, wait=10")
    >>> r.inputs, r.response, r.asynchronous
    ({'message': 'hoi'}, 'document', True)
    """
    if not body.strip():
        raise InvalidInput(
            'the request body is empty; send an execute request {"inputs": {...}}',
            input_name="inputs",
        )
    try:
        with paused_gc():  # a large body is millions of small objects: see paused_gc
            doc = orjson.loads(body)
    except orjson.JSONDecodeError as err:
        raise InvalidInput(
            f"the request body is not valid JSON: {err}", input_name="inputs"
        ) from None
    if not isinstance(doc, dict):
        raise InvalidInput(
            f'the request body must be a JSON object {{"inputs": {{...}}}}, got {type(doc).__name__}',
            input_name="inputs",
        )
    unknown = sorted(str(k) for k in doc if k not in REQUEST_MEMBERS)
    if unknown:
        raise InvalidInput(
            f"the execute request has no member {unknown[0]!r}; it takes "
            f"{', '.join(REQUEST_MEMBERS)}",
            input_name=unknown[0][:60],
        )
    inputs = doc.get("inputs", {})
    if inputs is None:
        inputs = {}
    if not isinstance(inputs, dict):
        raise InvalidInput(
            f"'inputs' must be an object mapping input names to values, got {type(inputs).__name__}",
            input_name="inputs",
        )
    outputs = doc.get("outputs")
    if outputs is not None:
        outputs = _check_outputs(indicator, outputs)
    response = doc.get("response", "document")
    if response not in ("raw", "document"):
        raise InvalidInput(
            f"'response' must be 'raw' or 'document', got {response!r}", input_name="response"
        )
    mapping = doc.get("mapping")
    declared = {gi.name for gi in indicator.inputs} | {p.name for p in indicator.parameters}
    if mapping is None and "mapping" in inputs and "mapping" not in declared:
        inputs = dict(inputs)
        mapping = inputs.pop("mapping")
        if isinstance(mapping, dict) and set(mapping) <= {"value", "mediaType"}:
            mapping = mapping.get("value")  # a qualified value
    return ExecuteRequest(
        inputs=inputs,
        outputs=outputs,
        response=response,
        subscriber=_subscriber(doc.get("subscriber")),
        asynchronous=wants_async(prefer),
        mapping=mapping,
    )


def _check_outputs(indicator: Indicator, outputs: Any) -> dict[str, Any]:
    if isinstance(outputs, list):  # some clients send a list of ids
        outputs = {str(o): {} for o in outputs}
    if not isinstance(outputs, dict):
        raise InvalidInput("'outputs' must be an object of output ids", input_name="outputs")
    known = [o.name for o in indicator.all_outputs if o.name not in META_OUTPUTS]
    for name, spec in outputs.items():
        if name not in known and name not in META_OUTPUTS:
            raise InvalidInput(
                f"'{name}' is not an output of process '{indicator.id}'; known outputs: {known}",
                input_name="outputs",
            )
        if spec is None:
            spec = {}
        if not isinstance(spec, dict):
            raise InvalidInput(
                f"outputs.{name}: an output is asked for with an object "
                '({"transmissionMode": "value" | "reference", "format": {"mediaType": ...}}), '
                f"not {spec!r:.60}",
                input_name="outputs",
            )
        extra = sorted(str(k) for k in spec if k not in ("transmissionMode", "format"))
        if extra:
            raise InvalidInput(
                f"outputs.{name}: {extra[0]!r} is not a member of an output's request "
                "(transmissionMode, format)",
                input_name="outputs",
            )
        if spec.get("format") is not None and (
            not isinstance(spec["format"], dict)
            or not set(spec["format"]) <= {"mediaType", "encoding", "schema"}
        ):
            raise InvalidInput(
                f"outputs.{name}: format is an object with mediaType (encoding, schema)",
                input_name="outputs",
            )
        mode = spec.get("transmissionMode")
        if mode not in (None, "value", "reference"):
            raise InvalidInput(
                f"outputs.{name}: transmissionMode {mode!r} is not supported "
                "('value' or 'reference')",
                input_name="outputs",
            )
        media = (spec.get("format") or {}).get("mediaType")  # format: checked an object
        if mode == "reference" or media is not None:
            if name in META_OUTPUTS or not _is_layer_output(indicator, name):
                if mode == "reference":
                    raise InvalidInput(
                        f"outputs.{name}: only per-feature outputs are offered by reference",
                        input_name="outputs",
                    )
                if media is not None and media != "application/json":
                    raise InvalidInput(
                        f"outputs.{name}: format.mediaType {media!r} is not offered: this "
                        "output is JSON (only per-feature outputs are files)",
                        input_name="outputs",
                    )
            elif media is not None and media not in REFERENCE_FORMATS:
                raise InvalidInput(
                    f"outputs.{name}: format.mediaType {media!r} is not offered; "
                    f"use one of {sorted(REFERENCE_FORMATS)}",
                    input_name="outputs",
                )
            elif media not in (None, "application/geo+json") and mode == "value":
                raise InvalidInput(
                    f"outputs.{name}: a value is inline GeoJSON; format.mediaType {media!r} "
                    "is a linked file's format (transmissionMode reference)",
                    input_name="outputs",
                )
            elif media not in (None, "application/geo+json") and mode is None:
                # a file format asks for the file: the output is linked, whatever its size
                outputs = {**outputs, name: {**spec, "transmissionMode": "reference"}}
    return outputs


def _is_layer_output(indicator: Indicator, name: str) -> bool:
    """Return whether output ``name`` is a FeatureCollection (GeoJSON)."""
    out = indicator_output(indicator, name)
    return out is not None and "geo+json" in str(out.media_type)


def _subscriber(value: Any) -> Subscriber | None:
    if value is None:
        return None
    if not isinstance(value, dict):
        raise InvalidInput(
            "'subscriber' must be an object of callback URIs", input_name="subscriber"
        )
    uris: dict[str, str | None] = {}
    for key in ("successUri", "inProgressUri", "failedUri"):
        uri = value.get(key)
        if uri is not None and (
            not isinstance(uri, str) or not uri.startswith(("http://", "https://"))
        ):
            raise InvalidInput(
                f"subscriber {key} must be an http(s) URL, got {uri!r}", input_name="subscriber"
            )
        uris[key] = uri
    if not any(uris.values()):
        return None
    return Subscriber(
        success_uri=uris["successUri"],
        in_progress_uri=uris["inProgressUri"],
        failed_uri=uris["failedUri"],
    )


def shape_response(
    indicator: Indicator,
    req: ExecuteRequest,
    body: bytes,
    links: ResultLinks | None = None,
    hydrate: Callable[[bytes], bytes] | None = None,
) -> Answer:
    """Return the answer to ``req`` from the result document (:class:`Answer`).

    ``document`` (the default) answers the whole result document — unchanged, unless
    ``outputs`` selects some (provenance and data quality always stay), or a
    per-feature output goes by reference (see the module text; only with ``links``,
    i.e. for a recorded job). ``raw`` answers the value of the single selected (or
    only) output, else the document; with every selected output by reference it
    answers links alone (:class:`Answer`), its parts never read.

    A stored document whose large outputs are parts (:mod:`gsl_service.result_parts`)
    is answered with links to them without reading them; ``hydrate`` puts them back
    first when the answer needs them inline (``raw``, ``transmissionMode: value``).
    """
    selected = (
        list(req.outputs)
        if req.outputs
        else [o.name for o in indicator.all_outputs if o.name not in META_OUTPUTS]
    )
    modes = _modes(req.outputs)
    every_reference = bool(req.outputs) and all(modes.get(n) == "reference" for n in selected)
    if req.response == "raw" and links is not None and every_reference:
        answer = _links_only(body, selected, modes, _formats(req.outputs), links)
        if answer is not None:
            return answer
    if result_parts.parts_in(body):
        inline = req.response == "raw" or "value" in modes.values()
        if links is not None and not inline:
            links = dataclasses.replace(links, parts=True)
        elif hydrate is not None:
            body = hydrate(body)
        else:
            raise JobFailed("the result's large outputs cannot be read here")
    if req.response == "raw" and len(selected) == 1 and selected[0] not in META_OUTPUTS:
        doc = orjson.loads(body)
        out = indicator_output(indicator, selected[0])
        media = str((out.schema or {}).get("contentMediaType", out.media_type)) if out else JSON
        if "json" not in media:
            media = JSON
        value = doc.get(selected[0])
        if isinstance(value, dict) and "mediaType" in value and "value" in value:
            value = value["value"]  # a qualified value: raw answers the value itself
        return Answer(canonical_json(value), media)
    by_reference = links is not None and (
        "reference" in modes.values()
        or links.parts
        or len(body) > links.inline_max * MIN_FEATURE_BYTES
    )
    if not req.outputs and not by_reference:
        return Answer(body, JSON)
    doc = orjson.loads(body)
    if req.outputs:
        keep = {*req.outputs, *META_OUTPUTS}
        doc = {k: v for k, v in doc.items() if k in keep}
    if by_reference and links is not None:
        doc = with_references(doc, modes, _formats(req.outputs), links)
    return Answer(canonical_json(doc), JSON)


def _links_only(
    body: bytes,
    selected: list[str],
    modes: Mapping[str, str],
    formats: Mapping[str, str],
    links: ResultLinks,
) -> Answer | None:
    """Return the answer of ``response: raw`` with every selected output by reference.

    Each selected output's link (as in a document, :func:`with_references`) becomes a
    ``Link`` header ``<href>; rel="enclosure"; type="…"; title="<output>"``; a part
    stays a placeholder (its link names its stored file). ``None`` when an output cannot
    be linked (absent, or a result stored before outputs were qualified values): the
    answer is then the value, as before, never a link left out.
    """
    doc = orjson.loads(body)
    linked = with_references({k: doc[k] for k in selected if k in doc}, modes, formats, links)
    values = tuple(
        f'<{link["href"]}>; rel="enclosure"; type="{link["type"]}"; title={_quoted(name)}'
        for name in selected
        if isinstance(link := linked.get(name), Mapping) and "href" in link
    )
    return Answer(b"", "", values) if len(values) == len(selected) else None


def _quoted(text: str) -> str:
    r"""Return ``text`` as an RFC 8288 (RFC 9110) quoted string.

    Examples
    --------
    >>> print(_quoted('homes "a" \\ b'))
    "homes \"a\" \\ b"
    """
    return '"' + text.replace("\\", "\\\\").replace('"', '\\"') + '"'


def _modes(outputs: Mapping[str, Any] | None) -> dict[str, str]:
    """Return the transmission mode each output asked for (absent: the default)."""
    return {
        name: spec["transmissionMode"]
        for name, spec in (outputs or {}).items()
        if isinstance(spec, dict) and spec.get("transmissionMode") in ("value", "reference")
    }


def _formats(outputs: Mapping[str, Any] | None) -> dict[str, str]:
    """Return the media type each output asked for (``format.mediaType``)."""
    out: dict[str, str] = {}
    for name, spec in (outputs or {}).items():
        fmt = spec.get("format") if isinstance(spec, dict) else None
        if isinstance(fmt, dict) and fmt.get("mediaType") in REFERENCE_FORMATS:
            out[name] = fmt["mediaType"]
    return out


def with_references(
    doc: Mapping[str, Any],
    modes: Mapping[str, str],
    formats: Mapping[str, str],
    links: ResultLinks,
) -> dict[str, Any]:
    """Return ``doc`` with each large (or asked-for) per-feature output replaced by a link.

    An output goes by reference when its mode is ``reference``, or when it has no mode
    and more than ``links.inline_max`` features; ``value`` keeps it inline.

    Examples
    --------
    >>> fc = {"type": "FeatureCollection", "features": [{}, {}, {}]}
    >>> doc = {"homes": {"mediaType": "application/geo+json", "value": fc}}
    >>> out = with_references(doc, {}, {}, ResultLinks("http://h", "j1", inline_max=2))
    >>> out["homes"]["href"], out["homes"]["type"]
    ('http://h/jobs/j1/results/homes?f=flatgeobuf', 'application/flatgeobuf')
    >>> with_references(doc, {"homes": "value"}, {}, ResultLinks("http://h", "j1", 2)) == doc
    True
    """
    out = dict(doc)
    for name, item in doc.items():
        value = item.get("value") if isinstance(item, Mapping) else None
        part = result_parts.part_of(value)
        if part is not None:  # stored as a GeoParquet file: link to it (or the format asked)
            media = formats.get(name, "application/vnd.apache.parquet")
            out[name] = _link(links, name, media, part.features)
            continue
        if name in META_OUTPUTS or not isinstance(value, Mapping):
            continue
        features = value.get("features")
        if value.get("type") != "FeatureCollection" or not isinstance(features, list):
            continue
        mode = modes.get(name)
        if mode == "value" or (mode is None and len(features) <= links.inline_max):
            continue
        media = formats.get(name, DEFAULT_REFERENCE_FORMAT)
        out[name] = _link(links, name, media, len(features))
    return out


def _link(links: ResultLinks, name: str, media: str, features: int) -> dict[str, str]:
    """Return the link to a per-feature output in format ``media``."""
    key = REFERENCE_FORMATS[media]
    return {
        "href": f"{links.base_url}/jobs/{links.job_id}/results/{name}?f={key}",
        "type": media,
        "rel": "enclosure",
        "title": (
            f"{name}: {features} features (also f=geojson, flatgeobuf, geoparquet, gpkg or "
            f"csv; paged: {links.base_url}/jobs/{links.job_id}/features/collections/{name}/items)"
        ),
    }


def indicator_output(indicator: Indicator, name: str) -> Any:
    """Return the declared output ``name`` of ``indicator`` (``None`` when absent)."""
    return next((o for o in indicator.all_outputs if o.name == name), None)


def request_shape(req: ExecuteRequest) -> dict[str, Any] | None:
    """Return the response shape an async job keeps (``None``: the whole document).

    Examples
    --------
    >>> req = ExecuteRequest({}, {"echo": {}}, "raw", None, True)
    >>> request_shape(req)
    {'response': 'raw', 'outputs': {'echo': {}}}
    >>> request_shape(dataclasses.replace(req, outputs=None, response="document")) is None
    True
    """
    if req.response == "document" and not req.outputs:
        return None
    return {"response": req.response, "outputs": req.outputs}


def shape_job_result(
    reg: Registry,
    job: JobInfo,
    body: bytes,
    links: ResultLinks | None = None,
    hydrate: Callable[[bytes], bytes] | None = None,
) -> Answer:
    """Return a job's results as its execute request asked (``extra["shape"]``).

    The store keeps the whole result document once per cache key; ``response`` and
    ``outputs`` of an async request, and large outputs by reference (``links``), are
    applied here, when the results are read, by :func:`shape_response` as for a
    synchronous answer.
    """
    shape = job.extra.get("shape") or {}
    if job.process_id not in reg or (not shape and links is None):
        return Answer(hydrate(body) if hydrate else body, JSON)
    req = ExecuteRequest(
        inputs={},
        outputs=shape.get("outputs"),
        response=str(shape.get("response", "document")),
        subscriber=None,
        asynchronous=True,
    )
    return shape_response(reg.get(job.process_id), req, body, links, hydrate)


def execute(
    engine: ExecutionEngine,
    reg: Registry,
    base_url: str,
    process_id: str,
    body: bytes,
    prefer: str | Iterable[str] | None,
) -> tuple[int, Mapping[str, str], bytes]:
    """Execute a process; return ``(status, headers, content)``.

    Synchronous by default (200 and the result document); with ``Prefer:
    respond-async`` (any RFC 7240 form, e.g. ``respond-async, wait=10``) the job is
    submitted and the answer is 201 with ``Location`` and the statusInfo. A
    synchronous execution recorded as a job links to it: ``Link: <…/jobs/{id}>;
    rel=monitor``.

    The body's nesting depth is checked before it is parsed
    (``GSL_MAX_JSON_DEPTH``), the features of every geo input after the references
    are resolved (``GSL_MAX_FEATURES``).

    Raises
    ------
    ServiceError
        ``NoSuchProcess``, ``InvalidInput`` and whatever the engine raises; the app
        turns it into a problem document.
    """
    if process_id not in reg:
        raise NoSuchProcess(f"no process '{process_id}'; known processes: {reg.ids()}")
    indicator = reg.get(process_id)
    raw: str | None = None
    if not wants_async(prefer):
        raw = request_digest(process_id, body)
        memo = engine.request_keys.get(raw)
        if memo is not None:
            key, known = memo
            cached = engine.execute_cached(process_id, key, known.subscriber)
            if cached is not None:
                links = _links(engine, base_url, cached)
                answer = shape_response(indicator, known, cached.body, links)
                return _sync_answer(base_url, cached, answer)
    limits = engine.settings
    check_json_depth(body, limits.max_json_depth)
    req = parse_execute_request(indicator, body, prefer)
    engine.poster.check(req.subscriber)  # a refused callback URI is a 400 now
    source = req.inputs
    if req.mapping is not None:  # source layers (fetched when by reference) → our inputs
        source = map_request_inputs(engine.fetcher, load_mapping(req.mapping), req.inputs)
    else:  # what cannot run is refused before the references are fetched
        engine.precheck(process_id, source)
    # qualified values unwrapped, references fetched in the media types of their schemas
    inputs = resolve_references(engine.fetcher, indicator, source)
    check_features(inputs, [gi.name for gi in indicator.inputs], limits.max_features)
    if req.asynchronous:
        job = engine.submit(process_id, inputs, req.subscriber, shape=request_shape(req))
        location = f"{base_url}/jobs/{job.job_id}"
        headers = {
            "Content-Type": JSON,
            "Location": location,
            "Preference-Applied": "respond-async",
        }
        return 201, headers, orjson.dumps(status_document(base_url, job))
    outcome = engine.execute_sync(process_id, inputs, req.subscriber)
    if outcome.job.status == JobStatus.failed:
        raise JobFailed.from_problem(
            outcome.job.error or {}, outcome.job.message or "the job failed"
        )
    if raw is not None and outcome.job.cache_key and not has_href(req.inputs):
        envelope = dataclasses.replace(req, inputs={})  # keep the memo small
        engine.request_keys.put(raw, (outcome.job.cache_key, envelope))
    answer = shape_response(indicator, req, outcome.body, _links(engine, base_url, outcome))
    return _sync_answer(base_url, outcome, answer)


def _sync_answer(
    base_url: str, outcome: Outcome, answer: Answer
) -> tuple[int, Mapping[str, str], bytes]:
    """Return ``(status, headers, content)`` of a synchronous answer: 200, or 204 with links."""
    headers = _sync_headers(base_url, outcome, answer.media)
    if not answer.links:
        return 200, headers, answer.content
    del headers["Content-Type"]
    headers["Link"] = ", ".join([*answer.links, *filter(None, [headers.get("Link")])])
    return 204, headers, b""


def _links(engine: ExecutionEngine, base_url: str, outcome: Outcome) -> ResultLinks | None:
    """Return where the outputs of a synchronous answer can be downloaded (a recorded job)."""
    if not outcome.recorded:
        return None
    return ResultLinks(base_url, outcome.job.job_id, engine.settings.inline_features_max)


def _sync_headers(base_url: str, outcome: Outcome, media: str) -> dict[str, str]:
    """Return the headers of a synchronous answer: its type, and its job when recorded.

    Examples
    --------
    >>> from gsl_service.jobs.model import JobInfo, JobStatus
    >>> from gsl_service.jobs.store import now
    >>> job = JobInfo("j1", "echo", JobStatus.successful, now(), now())
    >>> _sync_headers("http://h", Outcome(job, b"{}", False), JSON)["Link"]
    '<http://h/jobs/j1>; rel=monitor'
    >>> "Link" in _sync_headers("http://h", Outcome(job, b"{}", False, recorded=False), JSON)
    False
    """
    headers = {"Content-Type": media}
    if outcome.recorded:
        headers["Link"] = f"<{base_url}/jobs/{outcome.job.job_id}>; rel=monitor"
    return headers
