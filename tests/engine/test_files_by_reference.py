"""Files by reference travel as references: pinned at submission, fetched by the worker.

A real RQ worker process with its own spool folder (another machine's disk, as far as
the API can tell) and a local HTTP server (127.0.0.1 allow-listed) serving FlatGeobuf
files. The city is six 10 × 10 m homes 100 m apart with one tree 5 m east of each
and three more 5 m west of the first (b0: 4 trees within 30 m, the others 1).
"""

from __future__ import annotations

import hashlib
import io
import tempfile
from collections.abc import Iterator
from http.server import BaseHTTPRequestHandler
from pathlib import Path

import geopandas as gpd
import orjson
import pytest
import shapely

from engine.engine_helpers import settings_from_env, wait_for
from file_store import send, serving
from geojson_helpers import box, fc, feature
from gsl_service.engine import Engine
from gsl_service.jobs.model import JobStatus
from gsl_service.jobs.task import unpack_inputs
from results import values

X0, Y0 = 121_000.0, 487_000.0


def _homes(n: int) -> gpd.GeoDataFrame:
    return gpd.GeoDataFrame(
        {"id": [f"b{i}" for i in range(n)], "dwellings": [i + 1 for i in range(n)]},
        geometry=[shapely.box(X0 + 100 * i, Y0, X0 + 100 * i + 10, Y0 + 10) for i in range(n)],
        crs="EPSG:28992",
    )


def _fgb(frame: gpd.GeoDataFrame) -> bytes:
    buf = io.BytesIO()
    frame.to_file(buf, driver="FlatGeobuf", engine="pyogrio")
    return buf.getvalue()


HOMES = _fgb(_homes(6))
CHANGED = _fgb(_homes(5))  # the same address, one home less
GETS: list[str] = []


class _Files(BaseHTTPRequestHandler):
    def log_message(self, *args: object) -> None:
        pass

    def do_GET(self) -> None:
        GETS.append(self.path)
        data = None
        if self.path == "/homes.fgb":
            data = HOMES
        elif self.path == "/changing.fgb":  # the first answer differs from the later ones
            data = HOMES if GETS.count("/changing.fgb") == 1 else CHANGED
        send(self, data, "application/flatgeobuf")


@pytest.fixture(scope="module")
def files() -> Iterator[str]:
    with serving(_Files) as url:
        yield url


@pytest.fixture
def worker_spool(redis_env) -> Path:
    spool = Path(tempfile.mkdtemp(prefix="worker-spool-"))
    redis_env["GSL_SPOOL_DIR"] = str(spool)  # the worker's own folder
    redis_env["GSL_FETCH_ALLOWLIST"] = "127.0.0.1"
    return spool


@pytest.fixture
def engine(redis_env, worker_spool):
    api = {k: v for k, v in redis_env.items() if k != "GSL_SPOOL_DIR"}
    e = Engine(settings_from_env(api, data_dir=tempfile.mkdtemp(prefix="api-")))
    e.start()
    yield e
    e.close()


def _inputs(buildings: object) -> dict:
    trees = [(X0 + 100 * i + 15, Y0 + 5) for i in range(6)] + [
        (X0 - 5, Y0 + 2 * k) for k in range(3)
    ]
    return {
        "buildings": buildings,
        "trees": fc(
            *[feature({"type": "Point", "coordinates": list(p)}) for p in trees], origin=None
        ),
        "parks": fc(feature(box(X0, Y0 + 40, X0 + 120, Y0 + 160)), origin=None),
        "neighbourhoods": fc(
            feature(box(X0 - 200, Y0 - 200, X0 + 800, Y0 + 400), code="BU01"), origin=None
        ),
    }


def _finished(engine: Engine, job_id: str):
    return wait_for(lambda: (j := engine.get_job(job_id)).status.finished and j, timeout=120)


def _trees_within(body: bytes) -> dict[str, int]:
    feats = values(orjson.loads(body))["buildings"]["features"]
    return {f["properties"]["id"]: f["properties"]["trees_within"] for f in feats}


def test_the_job_keeps_the_reference_and_the_worker_fetches_it(
    engine, start_worker, files, worker_spool
) -> None:
    start_worker()
    GETS.clear()
    ref = {"href": files + "/homes.fgb", "type": "application/flatgeobuf"}
    job = engine.submit("green-3-30-300", _inputs(ref))
    done = _finished(engine, job.job_id)
    assert done.status is JobStatus.successful, done.error
    # the job store holds the reference, pinned by the content's sha256, not the bytes
    stored, _ = unpack_inputs(engine.store.get_inputs(job.job_id))
    sha = hashlib.sha256(HOMES).hexdigest()
    assert "bytes" not in stored["buildings"] and stored["buildings"]["sha256"] == sha
    assert stored["buildings"]["size"] == len(HOMES)
    # fetched twice: once at submission (pinned), once by the worker into its own spool
    assert GETS.count("/homes.fgb") == 2, GETS
    assert [p.name for p in worker_spool.iterdir()] == [sha]
    assert _trees_within(engine.get_result(job.job_id)) == {
        "b0": 4,
        "b1": 1,
        "b2": 1,
        "b3": 1,
        "b4": 1,
        "b5": 1,
    }
    # a later job on a part of the same file reads the worker's copy: no third fetch by it
    box_ref = {**ref, "bbox": [120_950, 486_950, 121_250, 487_050]}  # meets b0, b1, b2
    again = engine.submit("green-3-30-300", _inputs(box_ref))
    assert _finished(engine, again.job_id).status is JobStatus.successful
    assert GETS.count("/homes.fgb") == 3  # the API's pinning fetch only
    assert _trees_within(engine.get_result(again.job_id)) == {"b0": 4, "b1": 1, "b2": 1}


def test_a_file_changed_after_submission_fails_the_job_with_a_digest_mismatch(
    engine, start_worker, files
) -> None:
    start_worker()
    GETS.clear()
    job = engine.submit("green-3-30-300", _inputs({"href": files + "/changing.fgb"}))
    done = _finished(engine, job.job_id)
    assert done.status is JobStatus.failed
    assert done.error["status"] == 400 and done.error["input"] == "buildings"
    assert "digest mismatch" in done.error["detail"]
    assert hashlib.sha256(HOMES).hexdigest() in done.error["detail"]  # the pinned one
    assert GETS.count("/changing.fgb") == 2
