"""A stand-in Tygron session server (our own code) following ../shared/tygron/CONTRACT.md.

It does what the contract says a Tygron session does, and no more:

* ``GET /api/session/items/<type>/?f=JSON`` (§3): the items as a JSON list; geometry in
  EPSG:3857 (``sections[].polygons`` of buildings, ``polygons`` of neighborhoods and
  areas, MultiPolygons); every attribute value an array.
* The token (§3) in ``?token=``, ``Authorization: Bearer`` or a ``token`` header; a
  wrong one is **498**, a session that is no longer active **497**.
* ``POST /api/session/event/<set>/<event>/`` (§3) with a JSON array body:
  ``editor<item>/set_attributes`` (parallel arrays ids, names, value arrays) and
  ``editorglobal/set_start_value`` (ids, values) are applied to the items and recorded;
  the answer is 204.

Tests drive it through :class:`StandIn` (``gate`` holds item reads until released,
``events_status`` makes events fail). ``python tests/tygron_standin.py --port P
--buildings N`` serves a synthetic session for end-to-end runs and benchmarks.
"""

from __future__ import annotations

import argparse
import socket
import threading
import time
from dataclasses import dataclass, field
from typing import Any

import orjson
import uvicorn
from starlette.applications import Starlette
from starlette.requests import Request
from starlette.responses import Response
from starlette.routing import Route

#: The centre of the synthetic sessions: Utrecht in Web Mercator metres.
X0, Y0 = 570_000.0, 6_816_000.0


def square(x: float, y: float, size: float) -> dict[str, Any]:
    """Return a MultiPolygon square (EPSG:3857 metres) with its lower-left corner at x, y."""
    ring = [[x, y], [x + size, y], [x + size, y + size], [x, y + size], [x, y]]
    return {"type": "MultiPolygon", "coordinates": [[ring]]}


def synthetic_session(buildings: int, per_side: int = 10) -> dict[str, list[dict[str, Any]]]:
    """Return items of a synthetic session: a grid of homes in square neighbourhoods.

    Homes are 12 m squares 40 m apart; each neighbourhood holds ``per_side``² homes and
    has a park (a 1.6 ha area, PARK=1) on its right and a row of crowns (CANOPY=1)
    between its rows. ``GSL_DWELLINGS`` is 1, 2 or 4 by position.
    """
    side = max(1, round(buildings**0.5))
    step, block = 40.0, 40.0 * per_side
    items: dict[str, list[dict[str, Any]]] = {
        k: [] for k in ("buildings", "neighborhoods", "areas")
    }
    for i in range(buildings):
        col, row = i % side, i // side
        x, y = X0 + col * step + (col // per_side) * 200.0, Y0 + row * step
        items["buildings"].append(
            {
                "id": i,
                "name": f"home {i}",
                "functionID": 100,
                "attributes": {"GSL_DWELLINGS": [float((1, 2, 4)[i % 3])]},
                "sections": [{"id": 0, "floors": 2 + i % 3, "polygons": square(x, y, 12.0)}],
                "state": "READY",
            }
        )
    blocks_x = (side + per_side - 1) // per_side
    blocks_y = ((buildings + side - 1) // side + per_side - 1) // per_side
    n = 0
    for by in range(blocks_y):
        for bx in range(blocks_x):
            x = X0 + bx * (block + 200.0) - 14.0
            y = Y0 + by * block - 14.0
            items["neighborhoods"].append(
                {
                    "id": n,
                    "name": f"Buurt {n}",
                    "attributes": {},
                    "polygons": square(x, y, block + 200.0),
                }
            )
            items["areas"].append(
                {
                    "id": 2 * n,
                    "name": f"park {n}",
                    "attributes": {"PARK": [1.0]},
                    "polygons": square(x + block + 30.0, y + 30.0, 130.0),
                }
            )
            items["areas"].append(
                {
                    "id": 2 * n + 1,
                    "name": f"crowns {n}",
                    "attributes": {"CANOPY": [1.0]},
                    "polygons": square(x + 20.0, y + 40.0, block - 40.0),
                }
            )
            n += 1
    items["globals"] = [
        {"id": 1, "name": "GSL_SHARE_DWELLINGS_MEETING_ALL_THREE", "startValue": [0.0]},
        {"id": 2, "name": "GSL_BUILDINGS", "startValue": [0.0]},
        {"id": 3, "name": "GSL_SCORE_GREEN", "startValue": [0.0]},
    ]
    return items


@dataclass
class StandIn:
    """The session's state and what was asked of it."""

    token: str
    items: dict[str, list[dict[str, Any]]]
    active: bool = True
    #: item reads wait for this (tests hold a trigger past its budget with it)
    gate: threading.Event = field(default_factory=threading.Event)
    #: events answer this status while set (e.g. 497: the session went away)
    events_status: int | None = None
    requests: list[tuple[str, str]] = field(default_factory=list)
    events: list[tuple[str, list[Any]]] = field(default_factory=list)
    lock: threading.Lock = field(default_factory=threading.Lock)

    def __post_init__(self) -> None:
        self.gate.set()

    def _token_ok(self, request: Request) -> bool:
        given = request.query_params.get("token") or request.headers.get("token")
        auth = request.headers.get("authorization", "")
        if auth.lower().startswith("bearer "):
            given = auth[7:].strip()
        return given == self.token

    def _refusal(self, request: Request) -> Response | None:
        with self.lock:
            self.requests.append((request.method, request.url.path))
        if not self._token_ok(request):
            return Response("Please provide the correct token for this Session.", 498)
        if not self.active:
            return Response("Session not active", 497)
        return None

    async def get_items(self, request: Request) -> Response:
        """Serve the items of one type (JSON list)."""
        refused = self._refusal(request)
        if refused is not None:
            return refused
        import anyio

        await anyio.to_thread.run_sync(self.gate.wait)
        kind = request.path_params["kind"]
        return Response(orjson.dumps(self.items.get(kind, [])), media_type="application/json")

    async def post_event(self, request: Request) -> Response:
        """Apply and record one editor event."""
        refused = self._refusal(request)
        if refused is not None:
            return refused
        event = f"{request.path_params['set']}/{request.path_params['event']}".lower()
        params = orjson.loads(await request.body())
        with self.lock:
            self.events.append((event, params))
            if self.events_status is not None:
                return Response("event refused", self.events_status)
            self.apply(event, params)
        return Response(status_code=204)

    def apply(self, event: str, params: list[Any]) -> None:
        """Apply an event (what Tygron does with ``set_attributes``/``set_start_value``)."""
        event = event.split("/nonce_")[0]
        kinds = {
            "editorbuilding": "buildings",
            "editorneighborhood": "neighborhoods",
            "editorarea": "areas",
        }
        prefix, _, name = event.partition("/")
        if name == "set_attributes" and prefix in kinds:
            by_id = {it["id"]: it for it in self.items[kinds[prefix]]}
            for ident, attr, values in zip(params[0], params[1], params[2], strict=True):
                by_id[ident].setdefault("attributes", {})[attr] = list(values)
        elif event == "editorglobal/set_start_value":
            by_id = {g["id"]: g for g in self.items["globals"]}
            for ident, value in zip(params[0], params[1], strict=True):
                by_id[ident]["startValue"] = [value]
        else:
            raise ValueError(f"stand-in does not know event {event}")

    def attribute(self, kind: str, ident: int, name: str) -> float | None:
        """Return an item's attribute (first value), ``None`` when absent."""
        item = next(it for it in self.items[kind] if it["id"] == ident)
        values = item.get("attributes", {}).get(name)
        return values[0] if values else None

    def app(self) -> Starlette:
        """Return the ASGI app."""
        return Starlette(
            routes=[
                Route("/api/session/items/{kind}/", self.get_items, methods=["GET"]),
                Route("/api/session/items/{kind}", self.get_items, methods=["GET"]),
                Route("/api/session/event/{set}/{event}/", self.post_event, methods=["POST"]),
            ]
        )


def free_port() -> int:
    """Return a free TCP port on 127.0.0.1."""
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


class Served:
    """An ASGI app served by uvicorn in a thread on 127.0.0.1 (stop with :meth:`stop`)."""

    def __init__(self, app: Any) -> None:
        self.port = free_port()
        self.server = uvicorn.Server(
            uvicorn.Config(app, host="127.0.0.1", port=self.port, log_level="warning")
        )
        self.thread = threading.Thread(target=self.server.run, daemon=True)
        self.thread.start()
        while not self.server.started:
            time.sleep(0.01)

    @property
    def url(self) -> str:
        """Return the base URL."""
        return f"http://127.0.0.1:{self.port}"

    def stop(self) -> None:
        """Stop the server."""
        self.server.should_exit = True
        self.thread.join(10)


def main() -> None:
    """Serve a synthetic session (end-to-end runs and benchmarks)."""
    ap = argparse.ArgumentParser(description=__doc__)
    ap.add_argument("--port", type=int, required=True)
    ap.add_argument("--buildings", type=int, default=300)
    ap.add_argument("--token", default="standin-token")
    args = ap.parse_args()
    standin = StandIn(args.token, synthetic_session(args.buildings))
    extra = Route("/standin/items/{kind}", _dump(standin), methods=["GET"])
    app = standin.app()
    app.router.routes.append(extra)
    uvicorn.run(app, host="127.0.0.1", port=args.port, log_level="warning")


def _dump(standin: StandIn) -> Any:
    async def dump(request: Request) -> Response:  # the session's state, for checks
        return Response(
            orjson.dumps(standin.items.get(request.path_params["kind"], [])),
            media_type="application/json",
        )

    return dump


if __name__ == "__main__":
    main()
