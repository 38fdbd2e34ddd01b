"""Benchmark flood-safety and activity-friendly: our kernels vs straightforward GeoPandas.

Usage::

    .venv/bin/python benchmarks/bench_flood_activity.py            # 100,000 homes
    .venv/bin/python benchmarks/bench_flood_activity.py --quick    # 10,000 homes
    .venv/bin/python benchmarks/bench_flood_activity.py --repeat 5 # 5 runs of each side

A seeded synthetic city of 10 × 10 km with ``--homes`` home points and 400
neighbourhoods (500 m squares). Inputs are parsed once (not timed); then, in one run,
each indicator's kernel (``compute`` with the neighbourhood grouping, as the runner
calls it) and a GeoPandas implementation of the same rule are timed (interleaved,
``--repeat`` runs each, :func:`ggo_city.compare`: the machine is shared), their results
asserted identical, and the ratios GeoPandas ÷ ours of the best and median times printed
with the load average. Parsing (GeoJSON to
shapely arrays and property dicts) is not timed on either side.

flood-safety
    A 1000 × 1000 GeoTIFF of 10 m cells (maximum depth, nodata where dry) and 1,600
    depth zones (250 m squares, half of them flooded, plus 400 circles). GeoPandas:
    ``sjoin`` of the homes with the zones and ``groupby().max()``, rasterio's
    ``DatasetReader.sample`` for the grid, ``sjoin`` with the neighbourhoods and a
    ``groupby`` for the shares above 0.2 / 0.5 / 0.8 / 2.0 m and the dry-floor share.
activity-friendly
    A street grid every 100 m (lines not split at junctions) plus 3,000 dead-end stubs,
    2,000 play areas, 500 sports points, 1,000 green polygons, public space as the
    street corridors, a cycle network on every fourth street. GeoPandas: ``unary_union``
    of the streets, endpoint counts for the intersection degree, ``sjoin`` with the
    neighbourhoods; ``sjoin_nearest`` for play and sport; ``overlay`` for the green or
    playable public space; ``sjoin`` + ``intersection`` for the cycle length.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import replace
from typing import Any

import numpy as np
import rasterio
import shapely
from rasterio.transform import from_origin

from ggo_city import Check, Timing, arguments, compare, report
from gsl_indicators.core.assemble import area_groups
from gsl_indicators.core.geo import read_layers
from gsl_indicators.core.spec import Context, registry

CRS = "EPSG:28992"
RD = {"type": "name", "properties": {"name": "urn:ogc:def:crs:EPSG::28992"}}
SIZE = 10_000.0
#: The city is laid out from (0, 0) and then moved here (RD New, between Amsterdam and
#: Utrecht), for both sides alike: EPSG:28992 coordinates outside RD New's area of use
#: are refused, and a translation changes no result.
ORIGIN = np.array([120_000.0, 480_000.0])


def placed(geoms: np.ndarray) -> np.ndarray:
    """Return ``geoms`` moved from the local layout to ``ORIGIN``."""
    return shapely.transform(geoms, lambda c: c + ORIGIN)


def collection(geoms: np.ndarray, props: list[dict[str, Any]] | None = None) -> dict[str, Any]:
    gj = shapely.to_geojson(geoms)
    import json

    feats = [
        {"type": "Feature", "geometry": json.loads(g), "properties": (props[i] if props else {})}
        for i, g in enumerate(gj)
    ]
    return {"type": "FeatureCollection", "crs": RD, "features": feats}


def neighbourhoods() -> np.ndarray:
    c = np.arange(0, SIZE, 500.0)
    gx, gy = np.meshgrid(c, c)
    return shapely.box(gx.ravel(), gy.ravel(), gx.ravel() + 500, gy.ravel() + 500)


def kernel(pid: str, raw: dict[str, Any], params: dict[str, Any]) -> Callable[[], Any]:
    ind = registry().get(pid)
    ctx = Context()
    layers, _ = read_layers(ind.inputs, raw, ctx)
    for layer in layers.values():  # the properties dicts are part of parsing (not timed)
        _ = layer.properties
    full = ind.validate_parameters(params)

    def go() -> Any:
        fresh = {k: replace(v) for k, v in layers.items()}  # nothing cached from a last run
        c = Context()
        c.groups = area_groups(fresh["buildings"], fresh["neighbourhoods"], c)
        return ind.compute(fresh, full, c)

    return go


def area_of(xy: np.ndarray, nbh: np.ndarray) -> np.ndarray:
    """The neighbourhood of each point the GeoPandas way (first match on shared edges)."""
    import geopandas as gpd

    pts = gpd.GeoDataFrame(geometry=shapely.points(xy), crs=CRS)
    areas = gpd.GeoDataFrame(geometry=nbh, crs=CRS)
    j = gpd.sjoin(pts, areas, predicate="intersects").reset_index()
    j = j.sort_values(["index", "index_right"]).drop_duplicates("index").set_index("index")
    return j["index_right"].reindex(range(len(xy)), fill_value=-1).to_numpy()


# ------------------------------------------------------------------------- flood-safety


def depth_grid(rng: np.random.Generator) -> bytes:
    x = np.linspace(0, 6 * np.pi, 1000)
    field = np.sin(x)[None, :] * np.cos(x)[:, None] * 2.5 + rng.normal(0, 0.3, (1000, 1000))
    arr = np.where(field > 0, np.round(field, 2), -9999.0).astype("float32")
    with rasterio.MemoryFile() as mem:
        with mem.open(
            driver="GTiff", height=1000, width=1000, count=1, dtype="float32", crs=CRS,
            transform=from_origin(ORIGIN[0], ORIGIN[1] + SIZE, 10, 10), nodata=-9999.0,
        ) as ds:  # fmt: skip
            ds.write(arr, 1)
        return mem.read()


def depth_zones(rng: np.random.Generator) -> tuple[np.ndarray, np.ndarray]:
    c = np.arange(0, SIZE, 250.0)
    gx, gy = np.meshgrid(c, c)
    squares = shapely.box(gx.ravel(), gy.ravel(), gx.ravel() + 250, gy.ravel() + 250)
    squares = squares[rng.random(len(squares)) < 0.5]
    circles = shapely.buffer(
        shapely.points(rng.uniform(0, SIZE, (400, 2))), rng.uniform(50, 300, 400)
    )
    zones = np.concatenate([squares, circles])
    return zones, np.round(rng.uniform(0.05, 3.0, len(zones)), 2)


def geopandas_flood(
    xy: np.ndarray, zones: np.ndarray, zdepth: np.ndarray, grid: bytes, nbh: np.ndarray
) -> dict[str, Any]:
    import geopandas as gpd
    import pandas as pd

    homes = gpd.GeoDataFrame(geometry=shapely.points(xy), crs=CRS)
    z = gpd.GeoDataFrame({"depth": zdepth}, geometry=zones, crs=CRS)
    j = gpd.sjoin(homes, z, predicate="intersects")
    from_zones = j.groupby(level=0)["depth"].max().reindex(homes.index, fill_value=0.0).to_numpy()
    with rasterio.MemoryFile(grid) as mem, mem.open() as ds:
        g = np.array([v[0] for v in ds.sample([tuple(p) for p in xy])], float)
    g[g == -9999.0] = 0.0  # nodata inside the grid: dry (every home lies inside)
    depth = np.fmax(from_zones, g.astype("float32").astype(float))
    df = pd.DataFrame({"nb": area_of(xy, nbh), "depth": depth, "dry": depth <= 2.65})
    for t in (0.2, 0.5, 0.8, 2.0):
        df[f"above_{t}"] = depth > t
    df = df[df.nb >= 0]
    agg = df.groupby("nb").mean().reindex(range(len(nbh)))
    return {"depth": depth, "agg": agg}


def setup_flood(
    n: int, rng: np.random.Generator
) -> tuple[Callable[[], Any], Callable[[], Any], Check]:
    """Return the flood-safety kernel, the GeoPandas implementation and the identity check."""
    xy = np.round(rng.uniform(1, SIZE - 1, (n, 2)), 2) + ORIGIN
    nbh = placed(neighbourhoods())
    zones, zdepth = depth_zones(rng)
    zones = placed(zones)
    grid = depth_grid(rng)
    raw = {
        "buildings": collection(shapely.points(xy)),
        "neighbourhoods": collection(nbh),
        "exposure_zones": collection(zones, [{"depth": float(d)} for d in zdepth]),
    }
    ours = kernel("flood-safety", raw, {"exposure_grid": {"bytes": grid}})

    def check(res: Any, ref: dict[str, Any]) -> None:
        assert np.array_equal(res.feature["flood_depth_m"], ref["depth"])
        agg = ref["agg"]
        for t, tag in ((0.2, "0_2m"), (0.5, "0_5m"), (0.8, "0_8m"), (2.0, "2m")):
            assert np.allclose(
                res.area[f"share_homes_depth_above_{tag}"], agg[f"above_{t}"], atol=1e-12
            )
        assert np.allclose(res.area["share_homes_floor_dry"], agg["dry"], atol=1e-12)

    return ours, lambda: geopandas_flood(xy, zones, zdepth, grid, nbh), check


# -------------------------------------------------------------------- activity-friendly


def city_lines(rng: np.random.Generator) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    c = np.arange(50.0, SIZE, 100.0)
    horiz = shapely.linestrings([[[0, y], [SIZE, y]] for y in c])
    vert = shapely.linestrings([[[x, 0], [x, SIZE]] for x in c])
    # dead-end stubs from a street midway between junctions (T-junctions of degree 3)
    sx = rng.choice(c[:-1], 3000) + 50.0
    sy = rng.choice(c, 3000)
    stubs = shapely.linestrings(np.stack([np.c_[sx, sy], np.c_[sx, sy + 30.0]], axis=1))
    streets = np.concatenate([horiz, vert, stubs])
    cycle = np.concatenate([horiz[::4], vert[::4]])
    corridors = shapely.buffer(np.concatenate([horiz, vert]), 5.0, cap_style="flat")
    return streets, cycle, corridors


def geopandas_activity(
    xy: np.ndarray, g: dict[str, np.ndarray], nbh: np.ndarray, reach: dict[str, float]
) -> dict[str, Any]:
    import geopandas as gpd
    import pandas as pd

    areas = gpd.GeoDataFrame({"nid": np.arange(len(nbh))}, geometry=nbh, crs=CRS)
    area_km2 = areas.area.to_numpy() / 1e6
    # intersections: node the streets, count the piece ends at each point
    noded = gpd.GeoSeries([shapely.unary_union(g["streets"])], crs=CRS).explode(index_parts=False)
    ends = np.vstack([
        shapely.get_coordinates(noded.boundary.explode(index_parts=False).to_numpy()),
    ])  # fmt: skip
    pts = pd.DataFrame(np.round(ends, 3), columns=["x", "y"]).value_counts().reset_index()
    nodes = pts[pts["count"] >= 3]
    inter = area_of(nodes[["x", "y"]].to_numpy(), nbh)
    counts = np.bincount(inter[inter >= 0], minlength=len(nbh)).astype(float)
    # reach: nearest play area and sports facility
    homes = gpd.GeoDataFrame(geometry=shapely.points(xy), crs=CRS)
    near = {}
    for kind in ("play", "sport"):
        t = gpd.GeoDataFrame(geometry=g[kind], crs=CRS)
        j = gpd.sjoin_nearest(homes, t, distance_col="d")
        d = j.groupby(level=0)["d"].min().reindex(homes.index).to_numpy()
        near[kind] = d <= reach[kind]
    df = pd.DataFrame({"nb": area_of(xy, nbh), "play": near["play"], "sport": near["sport"]})
    agg = df[df.nb >= 0].groupby("nb").mean().reindex(range(len(nbh)))
    # green or playable share of public space
    pub = gpd.GeoDataFrame(geometry=[shapely.unary_union(g["public"])], crs=CRS)
    gp = gpd.GeoDataFrame(
        geometry=[shapely.unary_union(np.concatenate([g["green"], g["play"]]))], crs=CRS
    )
    covered = gpd.overlay(gp, pub, how="intersection")
    a_cov = gpd.overlay(covered, areas, how="intersection").dissolve(by="nid").area
    a_pub = gpd.overlay(pub, areas, how="intersection").dissolve(by="nid").area
    a_cov = a_cov.reindex(range(len(nbh)), fill_value=0.0).to_numpy()
    a_pub = a_pub.reindex(range(len(nbh)), fill_value=0.0).to_numpy()
    # cycle network length
    cyc = gpd.GeoDataFrame(geometry=[shapely.unary_union(g["cycle"])], crs=CRS).explode(
        index_parts=False
    )
    cj = gpd.sjoin(cyc, areas, predicate="intersects")
    other = gpd.GeoSeries(areas.geometry.loc[cj["index_right"]].to_numpy(), index=cj.index, crs=CRS)
    cj["len"] = cj.geometry.intersection(other, align=False).length
    km = cj.groupby("index_right")["len"].sum().reindex(range(len(nbh)), fill_value=0.0) / 1000
    return {
        "intersection_density_per_km2": counts / area_km2,
        "share_homes_near_play": agg["play"].to_numpy(),
        "share_homes_near_sport": agg["sport"].to_numpy(),
        "green_play_share_public_space": a_cov / a_pub,
        "cycle_density_km_per_km2": km.to_numpy() / area_km2,
    }


def setup_activity(
    n: int, rng: np.random.Generator
) -> tuple[Callable[[], Any], Callable[[], Any], Check]:
    """Return the activity-friendly kernel, the GeoPandas implementation and the check."""
    xy = np.round(rng.uniform(1, SIZE - 1, (n, 2)), 2) + ORIGIN
    nbh = placed(neighbourhoods())
    streets, cycle, corridors = (placed(g) for g in city_lines(rng))
    pc = rng.uniform(0, SIZE - 40, (2000, 2))
    play = shapely.box(pc[:, 0], pc[:, 1], pc[:, 0] + 30, pc[:, 1] + 30)
    sport = shapely.points(rng.uniform(0, SIZE, (500, 2)))
    gc = rng.uniform(0, SIZE - 200, (1000, 2))
    green = shapely.box(gc[:, 0], gc[:, 1], gc[:, 0] + rng.uniform(20, 200, 1000), gc[:, 1] + 60)
    play, sport, green = placed(play), placed(sport), placed(green)
    g = {"streets": streets, "cycle": cycle, "public": corridors, "play": play, "sport": sport,
         "green": green}  # fmt: skip
    raw = {
        "buildings": collection(shapely.points(xy)),
        "neighbourhoods": collection(nbh),
        "network": collection(streets),
        "cycle_network": collection(cycle),
        "public_space": collection(corridors),
        "play_areas": collection(play),
        "sport_facilities": collection(sport),
        "green": collection(green),
    }
    reach = {"play": 400.0, "sport": 1000.0}
    ours = kernel("activity-friendly", raw, {})

    def check(res: Any, ref: dict[str, Any]) -> None:
        assert np.array_equal(
            res.area["intersection_density_per_km2"], ref["intersection_density_per_km2"]
        )
        for k in ("share_homes_near_play", "share_homes_near_sport"):
            assert np.allclose(res.area[k], ref[k], atol=1e-12), k
        for k in ("green_play_share_public_space", "cycle_density_km_per_km2"):
            assert np.allclose(res.area[k], ref[k], rtol=1e-9), k

    return ours, lambda: geopandas_activity(xy, g, nbh, reach), check


def run(
    name: str, n: int, made: tuple[Callable[[], Any], Callable[[], Any], Check], repeat: int
) -> Timing:
    """Time one indicator against its GeoPandas implementation; check; print the line."""
    ours, theirs, check = made
    timing, res, ref = compare(ours, theirs, repeat)
    check(res, ref)
    report(name, n, timing)
    return timing


def main() -> None:
    args = arguments(__doc__)
    run("flood-safety", args.homes, setup_flood(args.homes, np.random.default_rng(15)), args.repeat)
    run("activity-friendly", args.homes,
        setup_activity(args.homes, np.random.default_rng(16)), args.repeat)  # fmt: skip


if __name__ == "__main__":
    main()
