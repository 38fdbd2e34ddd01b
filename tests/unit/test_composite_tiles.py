"""A composite's large parts run in tiles, one at a time, and keep their features as columns.

The scoreboard and the scenario comparison run a card's indicators as parts
(:mod:`gsl_indicators.core.parts`). With tile options, a part with at least the
threshold's features runs as its indicator would alone — in tiles when it can — so the
theme scores are those of the one-piece run; and every part keeps its per-feature
output as columns (:class:`FeatureValues`), which answer as the features would.
"""

from __future__ import annotations

import hashlib
from pathlib import Path
from typing import Any

import numpy as np
import orjson
import pytest
import shapely

from file_store import write_fgb
from gsl_indicators.core import sources, synthetic
from gsl_indicators.core.collection_columns import FeatureValues
from gsl_indicators.core.geo import feature_collection, read_layers
from gsl_indicators.core.health import home_column
from gsl_indicators.core.parts import MemoPartCache
from gsl_indicators.core.spec import Context, GeoInput, registry
from gsl_indicators.core.tiling import TileOptions
from results import execute

BOARD = registry().get("scoreboard")
SCENARIOS = registry().get("scenario-compare")
HOMES = GeoInput("homes", "Homes", "", ("Point",))


def _homes_fc() -> dict[str, Any]:
    props: list[dict[str, Any]] = [
        {"dwellings": 3, "name": "a", "score": 1.5},
        {"dwellings": None, "name": "b"},
        {"name": "c", "score": None},
    ]
    return {
        "type": "FeatureCollection",
        "features": [
            {
                "type": "Feature",
                "geometry": {"type": "Point", "coordinates": [155_000.0 + 10 * i, 463_000.0]},
                "properties": p,
            }
            for i, p in enumerate(props)
        ],
    }


def _file_layer(tmp_path: Path):
    path = tmp_path / "homes.fgb"
    write_fgb(path, _homes_fc(), index=False)
    data = path.read_bytes()
    source = sources.file_source(
        data=data,
        fmt="flatgeobuf",
        href="homes.fgb",
        bbox=None,
        sha256=hashlib.sha256(data).hexdigest(),
    )
    return read_layers([HOMES], {"homes": source}, Context())[0]["homes"]


@pytest.mark.parametrize("read_from", ["geojson", "file"])
def test_feature_values_answer_as_the_features(read_from: str, tmp_path: Path) -> None:
    if read_from == "file":
        layer = _file_layer(tmp_path)
    else:
        layer = read_layers([HOMES], {"homes": _homes_fc()}, Context())[0]["homes"]
    # an indicator's column named like an input property wins, as in the features
    cols = {"score": [7.25, None, 3.0], "meets": [True, False, None]}
    fc = feature_collection(layer, cols)
    kept = FeatureValues(layer, cols)
    assert len(kept) == 3
    for name in ("score", "meets", "dwellings", "name", "absent"):
        as_features = [f["properties"].get(name) for f in fc["features"]]
        assert kept.values(name) == as_features, name
    assert kept.values("dwellings")[:2] == [3, None]  # by hand: the input's own values
    for name in ("score", "dwellings", "absent"):
        np.testing.assert_array_equal(
            home_column({"homes": kept}, "homes", name), home_column({"homes": fc}, "homes", name)
        )


def _city(n: int = 1200) -> dict[str, Any]:
    c = synthetic.city(n, seed=5)
    return {k: c[k] for k in ("buildings", "trees", "canopy", "parks", "neighbourhoods")}


def _new() -> MemoPartCache:
    """A part cache of its own: each run computes its parts (no hits from another test)."""
    return MemoPartCache()


def _no_tiles(doc: dict[str, Any]) -> dict[str, Any]:
    prov = dict(doc["provenance"])
    prov["parts"] = [
        {k: v for k, v in p.items() if k not in ("tiles", "tiles_reason")} for p in prov["parts"]
    ]
    return {**doc, "provenance": prov}


def test_a_large_scoreboard_runs_its_parts_in_tiles_with_the_one_piece_scores() -> None:
    inputs = {**_city(), "card": "ggo-utrecht-example"}
    said: list[tuple[float, str]] = []
    tiles = TileOptions(features_per_tile=300, threshold=1000)
    tiled = execute(
        BOARD, inputs, tiles=tiles, on_progress=lambda f, m: said.append((f, m)), part_cache=_new()
    )
    whole = execute(BOARD, inputs, part_cache=_new())
    assert _no_tiles(tiled) == _no_tiles(whole)
    parts = {p["indicator"]: p for p in tiled["provenance"]["parts"] if p["cache"] != "not run"}
    assert parts["green-3-30-300"]["tiles"] >= 4  # 1,200 homes at 300 a tile
    assert parts["heat"]["tiles"] == "run whole" and parts["heat"]["tiles_reason"]
    assert all("tiles" not in p for p in whole["provenance"]["parts"])
    # the large parts' progress: named, within 10–85 %, never back
    mine = [(f, m) for f, m in said if m.startswith("green-3-30-300: tiles ")]
    assert mine and all(0.1 <= f <= 0.85 for f, _ in mine)
    fractions = [f for f, m in said if ": " in m]
    assert fractions == sorted(fractions)


def test_below_the_threshold_parts_run_as_before() -> None:
    inputs = {**_city(400), "card": "ggo-utrecht-example"}
    doc = execute(
        BOARD, inputs, tiles=TileOptions(features_per_tile=100, threshold=1000), part_cache=_new()
    )
    assert all("tiles" not in p for p in doc["provenance"]["parts"])


def test_scenarios_run_each_large_part_in_tiles_and_compare_as_one_piece() -> None:
    city = _city()
    homes = shapely.from_geojson(
        [orjson.dumps(f["geometry"]) for f in city["buildings"]["features"]]
    )
    near = shapely.get_coordinates(shapely.centroid(homes))[:200] + np.array([3.0, 0.0])
    added = {
        "type": "FeatureCollection",
        "features": [
            {
                "type": "Feature",
                "geometry": {"type": "Point", "coordinates": [x, y]},
                "properties": {},
            }
            for x, y in near.tolist()
        ],
    }
    inputs = {
        **city,
        "card": "ggo-utrecht-example",
        "variants": {"bomen": {"trees": {"add": added}}},
    }
    tiled = execute(
        SCENARIOS,
        inputs,
        tiles=TileOptions(features_per_tile=300, threshold=1000),
        part_cache=_new(),
    )
    whole = execute(SCENARIOS, inputs, part_cache=_new())
    assert _no_tiles(tiled) == _no_tiles(whole)
    green = [p for p in tiled["provenance"]["parts"] if p["indicator"] == "green-3-30-300"]
    assert {p["scenario"] for p in green} == {"baseline", "bomen"}
    assert all(isinstance(p["tiles"], int) for p in green)
    changed = [
        r
        for r in tiled["comparison"]
        if r["scenario"] == "bomen" and r["metric"] == "share_dwellings_meeting_3"
    ]
    assert any(r["delta"] for r in changed)  # the added trees count, tiled as whole


def test_a_stopped_tiled_part_stops_the_run_without_waiting_for_the_threads(monkeypatch) -> None:
    """A dismissal in a tiled part answers at once; a thread's part finishes unseen."""
    import threading

    from gsl_indicators.core import parts as parts_module

    released, finished = threading.Event(), threading.Event()

    def compute(part, tiles=None, on_progress=None) -> None:
        if part.key == "tiled":
            raise RuntimeError("dismissed")
        released.wait(timeout=60)  # a long part in a thread
        finished.set()

    monkeypatch.setattr(parts_module, "_compute", compute)
    monkeypatch.setattr(parts_module, "in_tiles", lambda part, tiles: part.key == "tiled")
    green = registry().get("green-3-30-300")
    todo = [
        parts_module.Part(green, {}, {}, key="slow"),
        parts_module.Part(green, {"x": 1}, {}, key="tiled"),
    ]
    with pytest.raises(RuntimeError, match="dismissed"):
        parts_module.run_parts(todo, cache=_new(), tiles=TileOptions())
    assert not finished.is_set()  # raised before the thread's part ended
    released.set()
    assert finished.wait(timeout=60)


def test_the_trees_only_tiled_parts_read_are_left_to_their_tiles(tmp_path: Path) -> None:
    """Trees by reference: only green-3-30-300 (in tiles) reads them, so its tiles read the file.

    The crowns are read by heat too (whole), so the parent reads them; the scores are the
    one-piece ones, and the provenance counts the trees the tiles found in the file.
    """
    from file_store import Files, Watch

    files = Files(tmp_path)
    try:
        c = _city()
        inputs = {k: c[k] for k in ("buildings", "parks", "neighbourhoods")}
        inputs |= {"card": "ggo-utrecht-example"}
        inputs["trees"] = files.add("trees", c["trees"])
        inputs["canopy"] = files.add("canopy", c["canopy"])
        watch = Watch()
        tiles = TileOptions(features_per_tile=300, threshold=1000, runner=watch)
        tiled = execute(BOARD, inputs, tiles=tiles, part_cache=_new())
        whole = execute(BOARD, inputs, part_cache=_new())
        assert {"trees"} in watch.attempts and all(r <= {"trees"} for r in watch.attempts)
        assert _no_tiles(tiled) == _no_tiles(whole)
        trees = tiled["provenance"]["inputs"]["trees"]
        assert (
            trees["features"]
            == len(c["trees"]["features"])
            == whole["provenance"]["inputs"]["trees"]["features"]
        )
    finally:
        sources.set_locator(None)


@pytest.fixture
def board_files(tmp_path: Path):
    """The city's request with trees and crowns as files by reference (and the city)."""
    from file_store import Files

    files = Files(tmp_path)
    c = _city()
    inputs = {k: c[k] for k in ("buildings", "parks", "neighbourhoods")}
    inputs |= {"card": "ggo-utrecht-example"}
    inputs["trees"] = files.add("trees", c["trees"])
    inputs["canopy"] = files.add("canopy", c["canopy"])
    yield inputs, c, files
    sources.set_locator(None)


def _scores(doc: dict[str, Any]) -> dict[str, Any]:
    """The document without how each part ran (tiles, cache hit or miss): what it says."""
    doc = _no_tiles(doc)
    prov = {
        **doc["provenance"],
        "parts": [{k: v for k, v in p.items() if k != "cache"} for p in doc["provenance"]["parts"]],
    }
    themes = [
        {**t, "indicators": [{k: v for k, v in i.items() if k != "cache"} for i in t["indicators"]]}
        for t in doc["themes"]
    ]
    return {**doc, "provenance": prov, "themes": themes}


def _counted(monkeypatch) -> list[str]:
    """Count the parts computed (their indicator ids), through the real computation."""
    from gsl_indicators.core import parts as parts_module

    calls: list[str] = []
    real = parts_module._compute

    def compute(part, *args, **kwargs):
        calls.append(part.indicator.id)
        return real(part, *args, **kwargs)

    monkeypatch.setattr(parts_module, "_compute", compute)
    return calls


def test_too_few_homes_read_the_trees_before_any_part_runs(board_files, monkeypatch) -> None:
    from file_store import Watch

    inputs, c, _ = board_files
    small = {
        **inputs,
        "buildings": {**c["buildings"], "features": c["buildings"]["features"][:500]},
    }
    whole = execute(BOARD, small, part_cache=_new())
    calls, watch = _counted(monkeypatch), Watch()
    tiles = TileOptions(features_per_tile=300, threshold=1000, runner=watch)
    again = execute(BOARD, small, tiles=tiles, part_cache=_new())
    assert watch.attempts == []  # no tiles: the run started again reading the trees
    assert _no_tiles(again) == _no_tiles(whole)
    assert sorted(calls) == sorted(set(calls))  # no part was computed twice


def test_a_cached_green_part_reads_the_trees_again_for_their_count(board_files) -> None:
    """Green from the part cache runs no tile: the trees are read, so provenance counts them."""
    inputs, c, _ = board_files
    tiles = TileOptions(features_per_tile=300, threshold=1000)
    shared = _new()
    first = execute(BOARD, inputs, tiles=tiles, part_cache=shared)
    second = execute(BOARD, inputs, tiles=tiles, part_cache=shared)
    n = len(c["trees"]["features"])
    for doc in (first, second):
        assert doc["provenance"]["inputs"]["trees"]["features"] == n
    green = next(p for p in second["provenance"]["parts"] if p["indicator"] == "green-3-30-300")
    assert green["cache"] == "hit"


def test_a_refused_green_part_reads_the_trees_for_their_count(board_files) -> None:
    inputs, c, _ = board_files
    homes = [dict(f) for f in c["buildings"]["features"]]
    homes[0] = {**homes[0], "properties": {**homes[0]["properties"], "dwellings": -1}}
    bad = {**inputs, "buildings": {**c["buildings"], "features": homes}}
    tiles = TileOptions(features_per_tile=300, threshold=1000)
    doc = execute(BOARD, bad, tiles=tiles, part_cache=_new())
    green = next(p for p in doc["provenance"]["parts"] if p["indicator"] == "green-3-30-300")
    assert green["cache"] == "refused"
    assert doc["provenance"]["inputs"]["trees"]["features"] == len(c["trees"]["features"])
    assert _scores(doc) == _scores(execute(BOARD, bad, part_cache=_new()))


def test_an_irregular_trees_file_starts_the_scoreboard_again_with_its_warnings(
    board_files, monkeypatch
) -> None:
    """A tree without geometry: the tiles find the file irregular; read whole, it is dropped."""
    from file_store import Watch

    inputs, c, files = board_files
    trees = {
        **c["trees"],
        "features": [
            *c["trees"]["features"],
            {"type": "Feature", "geometry": None, "properties": {}},
        ],
    }
    inputs = {**inputs, "trees": files.add("trees_bad", trees, index=False)}
    whole = execute(BOARD, inputs, part_cache=_new())
    assert any(w["code"] == "features-dropped" for w in whole["data_quality"]["warnings"])
    calls, watch = _counted(monkeypatch), Watch()
    tiles = TileOptions(features_per_tile=300, threshold=1000, runner=watch)
    shared = _new()
    doc = execute(BOARD, inputs, tiles=tiles, part_cache=shared)
    assert {"trees"} in watch.attempts  # the first attempt's green tiles read the file
    assert _scores(doc) == _scores(whole)  # …and the run started again, warnings and all
    # the parts done (or running) when it started again were kept: only green ran twice,
    # and the parts that refused the design (a refusal is never kept)
    refused = {p["indicator"] for p in doc["provenance"]["parts"] if p["cache"] == "refused"}
    twice = {n for n in calls if calls.count(n) > 1}
    assert "green-3-30-300" in twice and twice <= {"green-3-30-300", *refused}
    assert len(set(calls)) >= 8  # heat, odour, noise, air, … each computed once
    again = execute(BOARD, inputs, tiles=tiles, part_cache=shared)
    assert _no_tiles(again)["data_quality"] == _no_tiles(whole)["data_quality"]
