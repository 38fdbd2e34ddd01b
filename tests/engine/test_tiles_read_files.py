"""Tiles read trees and crowns from the input files themselves, on real workers.

Trees and crowns are FlatGeobuf (or GeoParquet) files by reference, served by a local HTTP server
(127.0.0.1 allow-listed). Each real ``gsl worker`` has a spool folder of its own (the
disk of another machine, as far as the API can tell). The parent of a tiled job does
not read those two files: every worker that runs a tile fetches them into its own
spool and reads its windows there. The result is the one-piece result.
"""

from __future__ import annotations

import hashlib
import tempfile
from collections.abc import Iterator
from contextlib import contextmanager
from http.server import BaseHTTPRequestHandler
from pathlib import Path

import orjson
import pytest
from rq import Worker
from rq.job import Job
from rq.serializers import JSONSerializer

from engine.conftest import WorkerProcess
from engine.engine_helpers import settings_from_env, wait_for
from file_store import send, serving, write_fgb, write_gpq
from gsl_indicators.core import sources, synthetic
from gsl_indicators.core.spec import registry
from gsl_service.engine import Engine
from gsl_service.jobs.model import JobStatus
from gsl_service.jobs.tiles import tile_job_id
from gsl_service.settings import Settings
from results import execute, values

GREEN = registry().get("green-3-30-300")
FILES: dict[str, bytes] = {}
GETS: list[str] = []


MEDIA = {"fgb": "application/flatgeobuf", "parquet": "application/vnd.apache.parquet"}
FORMATS = {"fgb": "flatgeobuf", "parquet": "geoparquet"}


def _file(fc: dict, ext: str) -> bytes:
    """A GeoJSON FeatureCollection as file bytes in EPSG:28992.

    ``fgb``: FlatGeobuf with its packed R-tree; ``parquet``: GeoParquet 1.1 with a bbox
    covering column, in row groups of 500 features.
    """
    with tempfile.TemporaryDirectory() as tmp:
        path = Path(tmp) / f"x.{ext}"
        if ext == "fgb":
            write_fgb(path, fc)
        else:
            write_gpq(path, fc, row_group_size=500)
        return path.read_bytes()


class _Files(BaseHTTPRequestHandler):
    def log_message(self, *args: object) -> None:
        pass

    def do_GET(self) -> None:
        GETS.append(self.path)
        name = self.path.lstrip("/")
        send(self, FILES.get(name), MEDIA[name.rsplit(".", 1)[-1]])


@pytest.fixture(scope="module")
def files() -> Iterator[str]:
    with serving(_Files) as url:
        yield url


def city(n: int, seed: int, url: str, ext: str = "fgb") -> tuple[dict, dict]:
    """Return a city's request (trees and crowns by reference) and the same read locally.

    ``ext``: the files' format, ``fgb`` (FlatGeobuf) or ``parquet`` (GeoParquet).
    """
    c = synthetic.city(n, seed=seed)
    request = {k: c[k] for k in ("buildings", "parks", "neighbourhoods")}
    local = dict(request)
    paths: dict[str, str] = {}
    folder = Path(tempfile.mkdtemp(prefix="tile-files-"))
    for name in ("trees", "canopy"):
        data = FILES[f"{seed}-{name}.{ext}"] = _file(c[name], ext)
        sha = hashlib.sha256(data).hexdigest()
        (folder / sha).write_bytes(data)
        paths[sha] = str(folder / sha)
        request[name] = {"href": f"{url}/{seed}-{name}.{ext}", "type": MEDIA[ext]}
        local[name] = sources.file_source(
            fmt=FORMATS[ext], href=request[name]["href"], bbox=None, sha256=sha
        )
    sources.set_locator(lambda name, value: paths[value["sha256"]])
    return request, local


@contextmanager
def two_workers(redis_env: dict) -> Iterator[tuple[Engine, list[Path]]]:
    """An API engine and two real ``gsl worker`` processes, each with a spool of its own."""
    redis_env["GSL_FETCH_ALLOWLIST"] = "127.0.0.1"
    api = Engine(
        settings_from_env(
            redis_env, data_dir=tempfile.mkdtemp(prefix="api-"), tile_threshold=0, tile_features=250
        )
    )
    api.start()
    spools = [Path(tempfile.mkdtemp(prefix=f"worker{i}-spool-")) for i in range(2)]
    workers = [WorkerProcess({**redis_env, "GSL_SPOOL_DIR": str(s)}) for s in spools]
    try:
        wait_for(lambda: Worker.count(queue=api._rq.queue) == 2, 60)
        yield api, spools
    finally:
        for w in workers:
            w.stop()
        api.close()


def one_piece(local: dict) -> dict:
    try:
        return execute(GREEN, local)
    finally:
        sources.set_locator(None)


def without_tiles(doc: dict) -> dict:
    prov = {k: v for k, v in doc["provenance"].items() if not k.startswith("tiles")}
    prov.pop("cache", None)
    return {**doc, "provenance": prov}


@pytest.mark.parametrize("ext", ["fgb", "parquet"])
def test_each_worker_reads_its_tiles_windows_from_its_own_spool(redis_env, files, ext) -> None:
    with two_workers(redis_env) as (api, spools):
        request, local = city(4000, seed=11, url=files, ext=ext)
        GETS.clear()
        job = api.submit("green-3-30-300", request)
        done = wait_for(lambda: (j := api.get_job(job.job_id)).status.finished and j, 240)
        assert done.status is JobStatus.successful, done.error
        doc = values(orjson.loads(api.get_result(job.job_id)))
        n_tiles = doc["provenance"]["tiles"]
        assert n_tiles >= 4000 // 250
        assert without_tiles(doc) == without_tiles(one_piece(local))
        # the second worker ran tiles, and both workers fetched the two files into their
        # own spools: each tile read its windows there (nothing was shipped by the parent)
        conn = api._rq.queue.connection
        ran = [
            Job.fetch(
                tile_job_id(job.job_id, i), connection=conn, serializer=JSONSerializer
            ).return_value()
            for i in range(n_tiles)
        ]
        assert True in ran
        shas = {local[k]["sha256"] for k in ("trees", "canopy")}
        for spool in spools:
            assert shas <= {p.name for p in spool.iterdir()}, spool
        # once at submission (pinned by the API), once by each worker
        assert GETS.count(f"/11-trees.{ext}") == 3, GETS
        assert GETS.count(f"/11-canopy.{ext}") == 3, GETS


@pytest.mark.parametrize("ext", ["fgb", "parquet"])
def test_embedded_tile_processes_read_the_files_through_the_spool(tmp_path, files, ext) -> None:
    e = Engine(
        Settings(
            data_dir=tmp_path,
            tile_threshold=0,
            tile_features=400,
            tile_workers=2,
            async_workers=1,
            fetch_allowlist="127.0.0.1",
        )
    )
    e.start()
    try:
        request, local = city(2000, seed=12, url=files, ext=ext)
        job = e.submit("green-3-30-300", request)
        done = wait_for(lambda: (j := e.get_job(job.job_id)).status.finished and j, 180)
        assert done.status is JobStatus.successful, done.error
        doc = values(orjson.loads(e.get_result(job.job_id)))
        assert doc["provenance"]["tiles"] >= 2000 // 400
        assert without_tiles(doc) == without_tiles(one_piece(local))
    finally:
        e.close()


def test_a_scoreboards_green_tiles_read_the_trees_from_their_workers_spools(
    redis_env, files
) -> None:
    """The GGO card: only green-3-30-300 reads the trees, so its tiles read them (own spools).

    Heat reads the crowns whole, so the parent's worker reads them; the theme scores are
    those of the one-piece run.
    """
    from gsl_indicators.core.parts import MemoPartCache

    with two_workers(redis_env) as (api, spools):
        request, local = city(4000, seed=12, url=files)
        request["card"] = local["card"] = "ggo-utrecht-example"
        GETS.clear()
        job = api.submit("scoreboard", request)
        done = wait_for(lambda: (j := api.get_job(job.job_id)).status.finished and j, 240)
        assert done.status is JobStatus.successful, done.error
        doc = values(orjson.loads(api.get_result(job.job_id)))
        green = next(p for p in doc["provenance"]["parts"] if p["indicator"] == "green-3-30-300")
        assert green["tiles"] >= 4000 // 250
        try:
            one = execute(registry().get("scoreboard"), local, part_cache=MemoPartCache())
        finally:
            sources.set_locator(None)

        def plain(d: dict) -> dict:
            parts = [
                {k: v for k, v in p.items() if k not in ("tiles", "tiles_reason")}
                for p in d["provenance"]["parts"]
            ]
            return {
                **without_tiles(d),
                "provenance": {**without_tiles(d)["provenance"], "parts": parts},
            }

        assert plain(doc) == plain(one)
        # trees: the API at submission, then each worker that ran green tiles (its own
        # spool); crowns: the API, then the parent's worker alone (read whole, for heat)
        held = [{p.name for p in s.iterdir()} for s in spools]
        with_trees = sum(local["trees"]["sha256"] in h for h in held)
        assert with_trees >= 1 and GETS.count("/12-trees.fgb") == 1 + with_trees, GETS
        assert sum(local["canopy"]["sha256"] in h for h in held) == 1
        assert GETS.count("/12-canopy.fgb") == 2, GETS
