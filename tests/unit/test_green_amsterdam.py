"""green-3-30-300 and green-per-dwelling on the Amsterdam kit (skipped when absent)."""

from __future__ import annotations

from typing import Any

import numpy as np
import pytest
import shapely

from gsl_indicators.core.network import ENTRANCE_TOLERANCE_M
from gsl_indicators.core.spec import registry
from results import execute


def _tile(load: Any) -> dict[str, Any]:
    can = load("canopy")
    geoms = shapely.from_geojson([__import__("json").dumps(f["geometry"]) for f in can["features"]])
    bbox = shapely.box(*shapely.total_bounds(geoms))
    coords = [list(c) for c in shapely.get_coordinates(bbox.exterior).tolist()]
    return {
        "type": "FeatureCollection",
        "crs": can["crs"],
        "features": [{"type": "Feature", "geometry": {"type": "Polygon", "coordinates": [coords]}}],
    }


@pytest.fixture(scope="module")
def runs(load_amsterdam: Any) -> dict[str, dict[str, Any]]:
    ind = registry().get("green-3-30-300")
    inputs = {
        "buildings": load_amsterdam("homes_1000"),
        "canopy": load_amsterdam("canopy"),
        "canopy_extent": _tile(load_amsterdam),
        "neighbourhoods": load_amsterdam("buurten"),
        "parks": load_amsterdam("parks"),
        "network": load_amsterdam("network"),
    }
    return {
        mode: execute(ind, {**inputs, "distance_mode": mode}) for mode in ("euclidean", "network")
    }


def test_canopy_tile_figures(runs: dict[str, dict[str, Any]]) -> None:
    res = runs["euclidean"]
    nbs = {
        f["properties"]["CBS_Buurtcode"]: f["properties"] for f in res["neighbourhoods"]["features"]
    }
    me = nbs["BU0363AK01"]  # Marine-Etablissement, 94 % inside the tile
    assert me["canopy_coverage"] == pytest.approx(0.94, abs=0.01)
    assert 0.05 < me["canopy_share"] < 0.30  # a partly green naval yard
    covered = [p for p in nbs.values() if p["canopy_coverage"]]
    assert len(covered) == 5  # five buurten meet the tile (README)
    # all crowns (32,638 m², no overlaps) lie in the tile; those inside buurten add up
    total = sum(p["canopy_area_m2"] for p in covered)
    assert 20000 < total <= 32638.5
    assert sum(p["canopy_share"] is None for p in nbs.values()) == 518 - 5
    codes = {w["code"] for w in res["data_quality"]["warnings"]}
    assert {"trees-from-canopy", "canopy-partial-coverage", "canopy-not-covered"} <= codes


def test_parks_and_300_are_plausible(runs: dict[str, dict[str, Any]]) -> None:
    res = runs["euclidean"]
    parks = res["data_quality"]["parks"]
    assert parks["features"] == 123
    # 17 touching pairs merge; the README counts 101 parts >= 1 ha after also
    # splitting multipolygons, which we keep whole (a feature is one park)
    assert 70 <= parks["qualifying"] <= 110
    share = res["summary"]["share_buildings_meeting_300"]
    assert 0.3 < share < 0.8


def test_network_mode_is_never_shorter(runs: dict[str, dict[str, Any]]) -> None:
    eu = [f["properties"] for f in runs["euclidean"]["buildings"]["features"]]
    nw = [f["properties"] for f in runs["network"]["buildings"]["features"]]
    pairs = [
        (e["park_distance_m"], n["park_distance_m"])
        for e, n in zip(eu, nw, strict=True)
        if n["park_distance_m"] is not None
    ]
    assert len(pairs) > 20  # homes on the network within the cut-off
    d_eu, d_nw = np.array(pairs).T
    # parks are entered within entrance_tolerance_m (default 10 m since 1.2.0) of a path
    assert np.all(d_nw >= d_eu - ENTRANCE_TOLERANCE_M - 1e-6)
    s = runs["network"]["summary"]
    assert s["homes_not_on_network"] > 400  # 426 homes lie outside the network's bbox
    assert (
        s["share_buildings_meeting_300"]
        <= runs["euclidean"]["summary"]["share_buildings_meeting_300"]
    )
    codes = {w["code"] for w in runs["network"]["data_quality"]["warnings"]}
    assert {"homes-not-on-network", "network-lines-excluded"} <= codes


def test_green_per_dwelling_on_addresses(load_amsterdam: Any) -> None:
    res = execute(
        registry().get("green-per-dwelling"),
        {
            "buildings": load_amsterdam("addresses"),
            "green": load_amsterdam("parks"),
            "neighbourhoods": load_amsterdam("buurten"),
        },
    )
    s = res["summary"]
    assert s["dwellings"] == 1836.0
    # Westerpark and the Westergasfabriek lie within 500 m of these addresses
    assert 10 < s["green_per_dwelling_m2"] < 1000
    nbs = [f["properties"] for f in res["neighbourhoods"]["features"] if f["properties"]["homes"]]
    assert sum(p["homes"] for p in nbs) == 1836
    assert all(p["dwellings_sharing"] >= p["dwellings"] for p in nbs)
