"""Tygron: allowed servers, the session's REST API, attribute names and trigger replies.

What Tygron sends and accepts is in ``../shared/tygron/CONTRACT.md`` (documented,
read from Tygron's SDK, or guessed); the parts used here:

* **Who calls.** A trigger names its Tygron server in ``Referer`` and the session's
  API token in the query (``token``). :class:`TygronServers` accepts only servers of
  ``GSL_TYGRON_SERVERS`` (hosts, ``host:port`` or patterns; none by default), so the
  endpoint cannot make the service call anywhere else.
* **Items.** :class:`TygronSession` reads ``/api/session/items/<type>/?f=JSON`` with
  httpx through the pinned, SSRF-guarded transport of :mod:`gsl_service.inputs`, under
  ``GSL_FETCH_MAX_BYTES`` and ``GSL_FETCH_TIMEOUT_S``. The token travels in an
  ``Authorization: Bearer`` header (never in a URL, so it cannot reach a log line or an
  error message); it is kept in memory only, for the write-back.
* **Names.** :func:`attribute_name`: ``GSL_`` + the metric id in upper case with
  underscores; shares are fractions 0–1 as in the metric model; per-area scores 1–10
  as ``GSL_SCORE_<METRIC>`` and the headline score as ``GSL_SCORE_<PROCESS>``; every
  overall figure a Global of the same name. Booleans are 1/0; empty values are left out
  (a reply holds numbers only).
* **Replies.** :func:`tql_reply` (``UPDATE_GLOBAL_VALUE_WHERE_NAME_IS_<G>``, documented;
  item attributes ``UPDATE_ATTRIBUTE_WHERE_<ITEM>_IS_<id>_AND_NAME_IS_<A>`` only on
  request, that form is guessed) and :func:`event_reply` (``editor<item>/set_attributes``
  with parallel arrays ids, names, value arrays; ``editorglobal/set_start_value`` with
  ids and values).
* **Write-back.** :func:`write_back` posts the same events to
  ``/api/session/event/<event>/``; HTTP 498 (wrong token) and 497/496/495 (session not
  active, client released, server rebooted) end it at once with a clear message, other
  failures are retried with doubling waits.
"""

from __future__ import annotations

import fnmatch
import math
import re
import time
from collections.abc import Callable, Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any
from urllib.parse import urlsplit

import httpx
import orjson

from gsl_indicators.core.metrics import score_name
from gsl_service.errors import Forbidden, ServiceError
from gsl_service.http_reads import body_chunks, post_status
from gsl_service.inputs import AddressGuard, UnsafeURL, pinned_client

#: Tygron item types the trigger can read, and their editor event sets and TQL names.
ITEM_TYPES: dict[str, tuple[str, str]] = {
    "buildings": ("editorbuilding", "BUILDING"),
    "neighborhoods": ("editorneighborhood", "NEIGHBORHOOD"),
    "areas": ("editorarea", "AREA"),
    "zones": ("editorzone", "ZONE"),
}
#: Tygron status codes (``nl.tytech.util.TStatus``) that end a session's use.
SESSION_GONE = {
    498: "the session refused the token (HTTP 498: wrong or expired token)",
    497: "the session is not active (HTTP 497)",
    496: "the session released this client (HTTP 496)",
    495: "the Tygron server was restarted (HTTP 495)",
}
TYGRON_CRS = "EPSG:3857"


class TriggerRefused(Forbidden):
    """A trigger from a server that is not allowed (403; no request leaves the service)."""


class TygronUnavailable(ServiceError):
    """The Tygron session could not be read (502), or ended (its status code named)."""

    status = 502
    ogc_type = "server-error"
    title = "Tygron session not usable"

    def __init__(self, detail: str, *, code: int | None = None) -> None:
        super().__init__(detail)
        self.code = code

    @property
    def final(self) -> bool:
        """Return whether retrying cannot help (the token or the session is gone)."""
        return self.code in SESSION_GONE


# --------------------------------------------------------------------- servers


class TygronServers:
    """The Tygron servers a trigger may come from (``GSL_TYGRON_SERVERS``).

    Entries are host names (``engine.tygron.com``), ``host:port`` or shell patterns
    (``*.tygron.com``); matched case-insensitively against the Referer's host and its
    ``host:port``. Hosts named exactly are also reachable when they are not public (a
    test server, an on-premise Tygron): the operator named them.

    Examples
    --------
    >>> s = TygronServers(["*.tygron.com", "127.0.0.1:8123"])
    >>> s.base_url("https://engine.tygron.com/manager/x")
    'https://engine.tygron.com'
    >>> s.base_url("http://127.0.0.1:8123/")
    'http://127.0.0.1:8123'
    >>> s.base_url("https://evil.example/")
    Traceback (most recent call last):
    ...
    gsl_service.adapters.tygron.TriggerRefused: the trigger's Referer 'evil.example' is not an allowed Tygron server (GSL_TYGRON_SERVERS)
    """

    def __init__(self, entries: Sequence[str]) -> None:
        self.entries = tuple(e.strip().lower() for e in entries if e.strip())

    def exact_hosts(self) -> list[str]:
        """Return the hosts named without a pattern (for the address guard's allowlist)."""
        hosts = []
        for e in self.entries:
            if not any(c in e for c in "*?["):
                host = e.rsplit(":", 1)[0] if e.count(":") == 1 else e
                hosts.append(host.strip("[]"))
        return hosts

    def base_url(self, referer: str | None) -> str:
        """Return ``scheme://host[:port]`` of an allowed Referer; raise TriggerRefused."""
        if not referer:
            raise TriggerRefused(
                "a Tygron trigger names its server in the Referer header; none was sent"
            )
        parts = urlsplit(referer.strip())
        host = (parts.hostname or "").lower()
        if parts.scheme not in ("http", "https") or not host:
            raise TriggerRefused("the trigger's Referer is not an http(s) URL")
        try:
            port = parts.port
        except ValueError:
            raise TriggerRefused("the trigger's Referer has a bad port") from None
        netloc = f"{host}:{port}" if port else host
        if not any(fnmatch.fnmatchcase(c, e) for e in self.entries for c in (host, netloc)):
            raise TriggerRefused(
                f"the trigger's Referer '{netloc}' is not an allowed Tygron server "
                "(GSL_TYGRON_SERVERS)"
            )
        shown = f"[{host}]" if ":" in host else host
        return f"{parts.scheme}://{shown}{f':{port}' if port else ''}"


# --------------------------------------------------------------------- session API


class TygronSession:
    """One Tygron session's REST API (items and events), token in memory only.

    Parameters
    ----------
    base_url : str
        ``scheme://host[:port]`` of the Tygron server.
    token : str
        The session's API token (sent as ``Authorization: Bearer``; never logged).
    guard : AddressGuard
        The SSRF guard (every connection goes to an address it vetted).
    max_bytes, timeout_s : int, float
        Size and time limits per read (``GSL_FETCH_MAX_BYTES``, ``GSL_FETCH_TIMEOUT_S``).
    """

    def __init__(
        self,
        base_url: str,
        token: str,
        guard: AddressGuard,
        max_bytes: int,
        timeout_s: float,
        transport_factory: Callable[[], httpx.BaseTransport] | None = None,
    ) -> None:
        self.base_url = base_url.rstrip("/")
        self._token = token
        self.max_bytes = max_bytes
        self.timeout_s = timeout_s
        self.client = pinned_client(guard, timeout_s, transport_factory)

    def __repr__(self) -> str:  # never the token
        return f"TygronSession({self.base_url!r})"

    def close(self) -> None:
        """Close the HTTP client."""
        self.client.close()

    def _headers(self) -> dict[str, str]:
        return {"Authorization": f"Bearer {self._token}", "Accept": "application/json"}

    def _fail(self, what: str, status: int) -> TygronUnavailable:
        reason = SESSION_GONE.get(status, f"HTTP {status}")
        return TygronUnavailable(f"{what} at {self.base_url}: {reason}", code=status)

    def items(self, kind: str) -> list[dict[str, Any]]:
        """Return the session's items of ``kind`` (``buildings``, ``globals`` …)."""
        path = f"/api/session/items/{kind}/"
        url = f"{self.base_url}{path}"
        deadline = time.monotonic() + self.timeout_s
        try:
            with self.client.stream(
                "GET", url, params={"f": "JSON"}, headers=self._headers()
            ) as resp:
                if resp.status_code != 200:
                    raise self._fail(f"reading {path}", resp.status_code)
                chunks, size = [], 0
                for chunk in body_chunks(resp):
                    size += len(chunk)
                    if size > self.max_bytes:
                        raise TygronUnavailable(
                            f"{path} at {self.base_url} is larger than the limit of "
                            f"{self.max_bytes} bytes (GSL_FETCH_MAX_BYTES)"
                        )
                    if time.monotonic() > deadline:
                        raise TygronUnavailable(
                            f"reading {path} took longer than {self.timeout_s} s"
                        )
                    chunks.append(chunk)
        except UnsafeURL as err:
            raise TygronUnavailable(f"{err}") from None
        except httpx.HTTPError as err:
            raise TygronUnavailable(
                f"reading {path} at {self.base_url} failed: {type(err).__name__}"
            ) from None
        try:
            doc = orjson.loads(b"".join(chunks))
        except orjson.JSONDecodeError:
            raise TygronUnavailable(f"{path} at {self.base_url} did not return JSON") from None
        if isinstance(doc, Mapping):  # some servers wrap lists in an object by id
            doc = list(doc.values())
        if not isinstance(doc, list):
            raise TygronUnavailable(f"{path} at {self.base_url} did not return a list")
        return [d for d in doc if isinstance(d, dict)]

    def post_event(self, event: str, params: list[Any]) -> None:
        """POST one editor event (any 2xx is success); raise TygronUnavailable.

        Only the reply's status counts (:func:`~gsl_service.http_reads.post_status`).
        """
        path = f"/api/session/event/{event}/"
        try:
            status = post_status(
                self.client,
                f"{self.base_url}{path}",
                orjson.dumps(params),
                {**self._headers(), "Content-Type": "application/json"},
            )
        except UnsafeURL as err:
            raise TygronUnavailable(f"{err}") from None
        except httpx.HTTPError as err:
            raise TygronUnavailable(f"{path} failed: {type(err).__name__}") from None
        if not 200 <= status < 300:
            raise self._fail(f"event {event}", status)


def items_as_features(items: Iterable[Mapping[str, Any]]) -> dict[str, Any]:
    """Return Tygron items as a FeatureCollection of source features (EPSG:3857).

    The item becomes the feature's ``properties`` (geometry stays inside: the mapping
    says where, e.g. ``sections.polygons``); its ``id`` the feature id.

    Examples
    --------
    >>> fc = items_as_features([{"id": 7, "name": "Noord", "attributes": {"A": [1.0]}}])
    >>> fc["features"][0]["id"], fc["crs"]["properties"]["name"]
    (7, 'EPSG:3857')
    """
    return {
        "type": "FeatureCollection",
        "crs": {"type": "name", "properties": {"name": TYGRON_CRS}},
        "features": [
            {"type": "Feature", "id": it.get("id"), "geometry": None, "properties": dict(it)}
            for it in items
        ],
    }


# --------------------------------------------------------------------- attributes


def attribute_name(metric_id: str) -> str:
    """Return the Tygron attribute (and Global) name of a metric.

    Examples
    --------
    >>> attribute_name("share_dwellings_meeting_3"), attribute_name("score_external_safety")
    ('GSL_SHARE_DWELLINGS_MEETING_3', 'GSL_SCORE_EXTERNAL_SAFETY')
    """
    return "GSL_" + re.sub(r"[^A-Z0-9]+", "_", metric_id.upper()).strip("_")


def _number(value: Any) -> float | None:
    if isinstance(value, bool):
        return 1.0 if value else 0.0
    if isinstance(value, int | float) and math.isfinite(value):
        return float(value)
    return None


@dataclass
class Attributes:
    """What a result writes into a Tygron session."""

    #: item type (``buildings`` …) → item id → attribute name → value
    items: dict[str, dict[int, dict[str, float]]] = field(default_factory=dict)
    #: Global name → value
    globals: dict[str, float] = field(default_factory=dict)

    def count(self) -> int:
        """Return the number of values."""
        return len(self.globals) + sum(len(a) for per in self.items.values() for a in per.values())


def _item_id(value: Any) -> int | None:
    if isinstance(value, bool):
        return None
    if isinstance(value, int):
        return value
    if isinstance(value, str) and value.isdigit():
        return int(value)
    return None


def result_attributes(
    process_id: str,
    outputs: Mapping[str, Any],
    item_types: Mapping[str, str],
) -> Attributes:
    """Return the attributes a result document's outputs give (see the module docstring).

    Parameters
    ----------
    process_id : str
        The process (its headline score is ``GSL_SCORE_<PROCESS>``).
    outputs : mapping
        Bare output values (``output_values`` of the result document).
    item_types : mapping
        Our input name → the Tygron item type it was read from (``buildings`` →
        ``buildings``, ``neighbourhoods`` → ``neighborhoods``).
    """
    metrics = {m["id"]: m for m in outputs.get("metrics") or [] if isinstance(m, Mapping)}
    attrs = Attributes()
    for name, kind in item_types.items():
        fc = outputs.get(name)
        if not isinstance(fc, Mapping) or kind not in ITEM_TYPES:
            continue
        per: dict[int, dict[str, float]] = {}
        for f in fc.get("features") or []:
            ident = _item_id(f.get("id"))
            if ident is None:
                continue
            values: dict[str, float] = {}
            for key, value in (f.get("properties") or {}).items():
                if key == "score":
                    attr = attribute_name(score_name(process_id))
                elif key in metrics or (key.startswith("score_") and key[6:] in metrics):
                    attr = attribute_name(key)
                else:
                    continue
                number = _number(value)
                if number is not None:
                    values[attr] = number
            if values:
                per[ident] = values
        if per:
            attrs.items[kind] = per
    summary = outputs.get("summary")
    if isinstance(summary, Mapping):
        for key, value in summary.items():
            if key in metrics and "overall" in (metrics[key].get("levels") or ["overall"]):
                number = _number(value)
                if number is not None:
                    attrs.globals[attribute_name(key)] = number
        card = summary.get("scorecard")
        if isinstance(card, Mapping):
            for metric, entry in (card.get("scores") or {}).items():
                number = _number(entry.get("score") if isinstance(entry, Mapping) else None)
                if number is not None:
                    attrs.globals[attribute_name(score_name(metric))] = number
            number = _number(card.get("score"))
            if number is not None:
                attrs.globals[attribute_name(score_name(process_id))] = number
    return attrs


# --------------------------------------------------------------------- replies


def tql_reply(attrs: Attributes, *, items: bool = False) -> dict[str, float]:
    """Return a TQL trigger reply: ``UPDATE_…`` keys, decimal values.

    Globals always (the documented form); item attributes only with ``items`` (the
    ``UPDATE_ATTRIBUTE_WHERE_<ITEM>_IS_<id>_AND_NAME_IS_<A>`` form is our guess).

    Examples
    --------
    >>> a = Attributes({"neighborhoods": {3: {"GSL_X": 0.5}}}, {"GSL_Y": 2.0})
    >>> tql_reply(a)
    {'UPDATE_GLOBAL_VALUE_WHERE_NAME_IS_GSL_Y': 2.0}
    >>> tql_reply(a, items=True)["UPDATE_ATTRIBUTE_WHERE_NEIGHBORHOOD_IS_3_AND_NAME_IS_GSL_X"]
    0.5
    """
    reply = {f"UPDATE_GLOBAL_VALUE_WHERE_NAME_IS_{k}": v for k, v in sorted(attrs.globals.items())}
    if items:
        for kind, per in sorted(attrs.items.items()):
            tql = ITEM_TYPES[kind][1]
            for ident, values in sorted(per.items()):
                for name, value in sorted(values.items()):
                    reply[f"UPDATE_ATTRIBUTE_WHERE_{tql}_IS_{ident}_AND_NAME_IS_{name}"] = value
    return reply


def events(attrs: Attributes, global_ids: Mapping[str, int]) -> list[tuple[str, list[Any]]]:
    """Return the editor events that write ``attrs`` (Globals only where they exist).

    ``editor<item>/set_attributes`` takes parallel arrays: item ids, attribute names
    and one value array per pair; ``editorglobal/set_start_value`` ids and values.

    Examples
    --------
    >>> a = Attributes({"buildings": {1: {"GSL_A": 1.0, "GSL_B": 0.0}}}, {"GSL_G": 5.0, "GSL_H": 1.0})
    >>> events(a, {"GSL_G": 11})
    [('editorbuilding/set_attributes', [[1, 1], ['GSL_A', 'GSL_B'], [[1.0], [0.0]]]), ('editorglobal/set_start_value', [[11], [5.0]])]
    """
    out: list[tuple[str, list[Any]]] = []
    for kind, per in sorted(attrs.items.items()):
        ids: list[int] = []
        names: list[str] = []
        values: list[list[float]] = []
        for ident, vals in sorted(per.items()):
            for name, value in sorted(vals.items()):
                ids.append(ident)
                names.append(name)
                values.append([value])
        out.append((f"{ITEM_TYPES[kind][0]}/set_attributes", [ids, names, values]))
    known = [(global_ids[n], v) for n, v in sorted(attrs.globals.items()) if n in global_ids]
    if known:
        out.append(("editorglobal/set_start_value", [[i for i, _ in known], [v for _, v in known]]))
    return out


def event_reply(attrs: Attributes, global_ids: Mapping[str, int]) -> dict[str, list[Any]]:
    """Return an EVENT trigger reply (event → parameters; one event per item type)."""
    return dict(events(attrs, global_ids))


def global_ids(items: Iterable[Mapping[str, Any]]) -> dict[str, int]:
    """Return Global name → id of the session's Globals.

    Examples
    --------
    >>> global_ids([{"id": 3, "name": "GSL_X"}, {"id": 4}])
    {'GSL_X': 3}
    """
    return {
        str(g["name"]): int(g["id"])
        for g in items
        if isinstance(g.get("name"), str) and _item_id(g.get("id")) is not None
    }


def write_back(
    session: TygronSession,
    attrs: Attributes,
    globals_by_name: Mapping[str, int],
    *,
    retries: int,
    backoff_s: float,
    sleep: Callable[[float], None] = time.sleep,
) -> str:
    """Post the events of ``attrs``; return what was written (raise when it could not be).

    Each event is retried ``retries`` times with doubling waits from ``backoff_s`` while
    the session fails otherwise; a status of :data:`SESSION_GONE` ends it at once.

    Raises
    ------
    TygronUnavailable
        ``final`` when the token or session is gone; else after the last retry.
    """
    sent = 0
    for event, params in events(attrs, globals_by_name):
        wait = backoff_s
        for attempt in range(retries + 1):
            try:
                session.post_event(event, params)
                break
            except TygronUnavailable as err:
                if err.final or attempt == retries:
                    raise
                sleep(wait)
                wait *= 2
        sent += len(params[0])
    missing = sorted(set(attrs.globals) - set(globals_by_name))
    note = f"; Globals not in the session (create them to receive values): {missing}"
    return f"{sent} values written in {len(events(attrs, globals_by_name))} events" + (
        note if missing else ""
    )
