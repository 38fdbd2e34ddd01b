"""``green-per-dwelling``: public green within 500 m per dwelling (PBL, Nota Ruimte).

The kernels are pure functions over shapely 2 arrays and numpy:

* :func:`green_per_home` — per home, the public green inside its ``radius_m`` buffer and
  the dwellings of every home in that buffer;
* :func:`green_available` — per neighbourhood, the green inside the union of its homes'
  buffers and the dwellings sharing it (also used by ``housing-capacity``);
* :func:`green_within_reach` — the green within reach of any home (overall).

:func:`compute` turns them into metrics (:data:`METRICS`); the one assembler writes the
FeatureCollections, scorecards and summary.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

import numpy as np
import shapely

from gsl_indicators.core.canopy import canopy_area, chunked_map, dissolve_groups, overlap_groups
from gsl_indicators.core.geo import Layer, representative_points, zone_index
from gsl_indicators.core.metrics import FRACTION, Metric, Metrics, booleans, metric, overall_share
from gsl_indicators.core.spec import POLYGONS, Context, GeoInput, Indicator, Norm, Parameter, Source
from gsl_indicators.core.tiling import Merged, Prepared, TileData, TilePart, Tiling
from gsl_indicators.core.wording import counted
from gsl_indicators.indicators.green import BUILDINGS, EXAMPLE, read_dwellings

__all__ = [
    "INDICATORS",
    "METRICS",
    "GreenAvailability",
    "compute",
    "green_available",
    "green_parts",
    "green_per_home",
    "green_within_reach",
    "home_sums",
    "metrics_of",
    "per_dwelling",
    "reach_zones",
]


@dataclass
class GreenAvailability:
    """Public green within reach of each neighbourhood's homes and the dwellings sharing it.

    Attributes
    ----------
    green_m2 : numpy.ndarray
        Area of public green (overlaps once) inside the reach zone of the
        neighbourhood: the union of ``radius_m`` buffers around its homes.
    dwellings_in_zone : numpy.ndarray
        Dwellings of all homes (of any neighbourhood) whose representative point lies in
        that zone: everyone who shares the green.
    dwellings : numpy.ndarray
        Dwellings of the neighbourhood's own homes.
    homes : numpy.ndarray of int
        Homes in the neighbourhood.
    """

    green_m2: np.ndarray
    dwellings_in_zone: np.ndarray
    dwellings: np.ndarray
    homes: np.ndarray

    def per_dwelling(self) -> np.ndarray:
        """Return green m² per dwelling (NaN where no dwelling shares the zone)."""
        d = self.dwellings_in_zone
        with np.errstate(invalid="ignore", divide="ignore"):
            return np.where(d > 0, self.green_m2 / np.where(d > 0, d, 1), np.nan)

    def headroom(self, norm_m2: float) -> np.ndarray:
        """Return the dwellings that fit before the norm breaks (negative: the deficit).

        ``floor(green_m2 / norm_m2) - dwellings_in_zone``: adding that many dwellings
        inside the zone keeps ``green_m2 / dwellings_in_zone`` at or above the norm.
        """
        with np.errstate(invalid="ignore"):
            return np.floor(self.green_m2 / norm_m2 + 1e-9) - self.dwellings_in_zone


def _buffers(geoms: np.ndarray, radius_m: float) -> np.ndarray:
    return shapely.buffer(geoms, radius_m, quad_segs=16)


def reach_zones(homes: np.ndarray, group: np.ndarray, n_groups: int, radius_m: float) -> np.ndarray:
    """Return per group the union of the ``radius_m`` buffers of its homes (None: no home).

    Homes at the same place (flats sharing an address point) are buffered once; the
    buffers are unioned per group (``union_all`` of polygons: far faster than
    buffering a MultiPoint, which GEOS does with repeated overlays).

    Examples
    --------
    >>> z = reach_zones(shapely.points([(0, 0), (0, 0), (50, 0)]), np.array([0, 0, 1]), 3, 10)
    >>> [None if g is None else round(float(shapely.area(g))) for g in z]
    [314, 314, None]
    """
    out = np.full(n_groups, None, dtype=object)
    if not len(homes):
        return out
    wkb = shapely.to_wkb(homes)
    keys = [bytes(str(k), "ascii") + b"|" + w for k, w in zip(group.tolist(), wkb, strict=True)]
    _, first = np.unique(np.asarray(keys, dtype=object), return_index=True)
    first = np.sort(first)
    buf = _buffers(homes[first], radius_m)
    g = group[first]
    order = np.argsort(g, kind="stable")
    g, buf = g[order], buf[order]
    cuts = np.flatnonzero(np.r_[True, g[1:] != g[:-1], True])
    for a, b in zip(cuts[:-1].tolist(), cuts[1:].tolist(), strict=True):
        out[g[a]] = shapely.union_all(buf[a:b])
    return out


def green_available(
    homes: np.ndarray,
    dwellings: np.ndarray,
    neighbourhoods: np.ndarray,
    green: np.ndarray,
    radius_m: float = 500.0,
    workers: int | None = None,
    area_index: np.ndarray | None = None,
) -> GreenAvailability:
    """Return public green within ``radius_m`` of each neighbourhood's homes, and who shares it.

    Pure function for the housing-capacity indicator: new dwellings fit in a
    neighbourhood while ``green_m2 / (dwellings_in_zone + new) >= norm``, i.e. up to
    :meth:`GreenAvailability.headroom`. (New dwellings also join the zones of
    neighbouring neighbourhoods that reach them.) Buffers are 64-gons (within 0.6 m
    of the 500 m circle). ``area_index`` is the neighbourhood of each home when known
    already (the runner's :class:`~gsl_indicators.core.metrics.AreaGroups`).

    Examples
    --------
    Two homes 100 m apart in one neighbourhood, 1 and 3 dwellings; a 1 ha park 200 m
    away (all inside the 500 m zone):

    >>> ga = green_available(shapely.points([(0, 0), (100, 0)]), np.array([1.0, 3.0]),
    ...                      np.array([shapely.box(-50, -50, 150, 50)]),
    ...                      np.array([shapely.box(300, 0, 400, 100)]))
    >>> ga.green_m2.round(6).tolist(), ga.dwellings_in_zone.tolist(), ga.per_dwelling().tolist()
    ([10000.0], [4.0], [2500.0])
    >>> ga.headroom(75.0).tolist()   # floor(10000 / 75) - 4 = 133 - 4
    [129.0]
    """
    n_nb = len(neighbourhoods)
    nb_of = zone_index(homes, neighbourhoods) if area_index is None else area_index
    w = np.asarray(dwellings, dtype=float)
    has = nb_of >= 0
    n_homes = np.bincount(nb_of[has], minlength=n_nb)
    own = np.bincount(nb_of[has], weights=w[has], minlength=n_nb)
    zones = np.full(n_nb, None, dtype=object)
    if has.any():
        zones[:] = reach_zones(homes[has], nb_of[has], n_nb, radius_m)
    filled = np.flatnonzero(n_homes > 0)
    green_m2 = np.zeros(n_nb)
    in_zone = np.zeros(n_nb)
    if len(filled):
        if len(green):
            green_m2[filled] = canopy_area(green, zones[filled], workers)
        reps = representative_points(homes)
        z, h = shapely.STRtree(reps).query(zones[filled], predicate="intersects")
        in_zone[filled] = np.bincount(z, weights=w[h], minlength=len(filled))
    return GreenAvailability(green_m2, in_zone, own, n_homes)


def green_parts(green: np.ndarray, workers: int | None = None) -> np.ndarray:
    """Return the public green as disjoint-by-group parts (overlapping green counts once).

    Overlapping green polygons are dissolved per group of overlapping boxes
    (:func:`~gsl_indicators.core.canopy.overlap_groups`), then split into parts.

    Examples
    --------
    >>> p = green_parts(np.array([shapely.box(0, 0, 2, 2), shapely.box(1, 0, 3, 2)]))
    >>> len(p), float(shapely.area(p).sum())
    (1, 6.0)
    """
    parts = shapely.get_parts(green) if len(green) else np.empty(0, dtype=object)
    if len(parts):
        parts = shapely.get_parts(dissolve_groups(parts, overlap_groups(parts, workers), workers))
    return np.asarray(parts, dtype=object)


def _ordered_sums(rows: np.ndarray, cols: np.ndarray, weights: np.ndarray, n: int) -> np.ndarray:
    """Return per row the sum of its weights, added in the order of ``cols``.

    An STRtree returns each row's hits in the order of its tree, which depends on what
    the tree holds; summed in the order of the hits' positions in their whole layer, a
    home's sum is the same whatever else the tree holds — in one piece or in a tile.

    Examples
    --------
    >>> _ordered_sums(np.array([1, 0, 1]), np.array([9, 4, 2]), np.array([0.1, 5.0, 0.2]), 2)
    array([5. , 0.3])
    >>> _ordered_sums(np.array([], dtype=int), np.array([], dtype=int), np.array([]), 2)
    array([0., 0.])
    """
    order = np.lexsort((cols, rows))
    sums = np.bincount(rows[order], weights=weights[order], minlength=n)
    return sums.astype(float, copy=False)  # no row at all: bincount gives int64 zeros


def home_sums(
    homes: np.ndarray,
    reps: np.ndarray,
    reps_dwellings: np.ndarray,
    parts: np.ndarray,
    radius_m: float,
    *,
    reps_index: np.ndarray | None = None,
    parts_index: np.ndarray | None = None,
    workers: int | None = None,
) -> tuple[np.ndarray, np.ndarray]:
    """Return, per home, green within ``radius_m`` (m²) and the dwellings within it.

    ``reps`` are the representative points of the homes that may lie in a home's reach
    (all homes, or a tile's window of them) with their dwellings; ``parts`` the green
    (:func:`green_parts`, or a window of them). ``reps_index`` and ``parts_index`` are
    their positions in the whole layers (default: as given): sums are added in that
    order (:func:`_ordered_sums`), so a tile's sums are the one-piece ones.
    """
    n = len(homes)
    w = np.asarray(reps_dwellings, dtype=float)
    ri = np.arange(len(reps)) if reps_index is None else np.asarray(reps_index)
    pi = np.arange(len(parts)) if parts_index is None else np.asarray(parts_index)
    rtree = shapely.STRtree(reps)
    gtree = shapely.STRtree(parts) if len(parts) else None

    def job(start: int, chunk: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
        zones = _buffers(chunk, radius_m)
        z, h = rtree.query(zones, predicate="intersects")
        dw = _ordered_sums(z, ri[h], w[h], len(chunk))
        gm = np.zeros(len(chunk))
        if gtree is not None:
            zz, p = gtree.query(zones, predicate="intersects")
            a = shapely.area(shapely.intersection(zones[zz], parts[p]))
            gm = _ordered_sums(zz, pi[p], a, len(chunk))
        return gm, dw

    res = chunked_map(job, n, homes, workers=workers, chunk=2048)
    if not res:
        return np.zeros(0), np.zeros(0)
    return np.concatenate([r[0] for r in res]), np.concatenate([r[1] for r in res])


def green_per_home(
    homes: np.ndarray,
    dwellings: np.ndarray,
    green: np.ndarray,
    radius_m: float = 500.0,
    workers: int | None = None,
) -> tuple[np.ndarray, np.ndarray]:
    """Return, per home, public green within ``radius_m`` (m²) and the dwellings within it.

    The reach zone of a home is its ``radius_m`` buffer (footprint or point, 64-gon);
    the dwellings within it are those of every home whose representative point lies in
    the zone (the home's own included).

    Examples
    --------
    >>> g, d = green_per_home(shapely.points([(0, 0), (100, 0), (2000, 0)]),
    ...                       np.array([1.0, 3.0, 2.0]),
    ...                       np.array([shapely.box(300, 0, 400, 100)]))
    >>> g.round(6).tolist(), d.tolist()
    ([10000.0, 10000.0, 0.0], [4.0, 4.0, 2.0])
    """
    if not len(homes):
        return np.zeros(0), np.zeros(0)
    reps = representative_points(homes)
    parts = green_parts(green, workers)
    return home_sums(homes, reps, dwellings, parts, radius_m, workers=workers)


def green_within_reach(
    homes: np.ndarray, green: np.ndarray, radius_m: float, workers: int | None = None
) -> float:
    """Return the public green (m², overlaps once) within ``radius_m`` of any home.

    Examples
    --------
    >>> homes = shapely.points([(0, 0), (100, 0)])
    >>> round(green_within_reach(homes, np.array([shapely.box(300, 0, 400, 100),
    ...                                           shapely.box(5000, 0, 5100, 100)]), 500), 6)
    10000.0
    """
    if not len(homes) or not len(green):
        return 0.0
    zone = reach_zones(homes, np.zeros(len(homes), dtype=np.int64), 1, radius_m)
    return float(canopy_area(green, zone, workers)[0])


def per_dwelling(green_m2: np.ndarray, dwellings: np.ndarray) -> np.ndarray:
    """Return green m² per dwelling (NaN where no dwelling shares it).

    Examples
    --------
    >>> per_dwelling(np.array([300.0, 10.0]), np.array([4.0, 0.0])).tolist()
    [75.0, nan]
    """
    with np.errstate(invalid="ignore", divide="ignore"):
        return np.where(dwellings > 0, green_m2 / np.where(dwellings > 0, dwellings, 1), np.nan)


def meets_norm(per: np.ndarray, norm_m2: float) -> np.ndarray:
    """Return 1/0 where green per dwelling reaches ``norm_m2`` (NaN: unknown).

    Examples
    --------
    >>> meets_norm(np.array([75.0, 74.9, np.nan]), 75.0).tolist()
    [1.0, 0.0, nan]
    """
    return np.where(np.isnan(per), np.nan, (per >= norm_m2 - 1e-9) * 1.0)


def _neighbourhood_metrics(
    homes: Layer,
    dwellings: np.ndarray,
    nbs: Layer,
    green: Layer,
    *,
    radius: float,
    norm: float,
    area_index: np.ndarray,
    ctx: Context,
) -> dict[str, Any]:
    """Return the per-neighbourhood metrics (see :func:`green_available`)."""
    ga = green_available(
        homes.geometries,
        dwellings,
        nbs.geometries,
        green.geometries,
        radius,
        area_index=area_index,
    )
    empty = ga.homes == 0
    if empty.any():
        ctx.warn(
            "neighbourhood-without-homes",
            "neighbourhoods",
            f"{counted(int(empty.sum()), 'neighbourhood holds', 'neighbourhoods hold')} no home; their values are empty",
            int(empty.sum()),
        )
    per = ga.per_dwelling()
    return {
        "homes": ga.homes,
        "dwellings": ga.dwellings,
        "green_within_m2": np.where(empty, np.nan, ga.green_m2),
        "dwellings_sharing": np.where(empty, np.nan, ga.dwellings_in_zone),
        "green_per_dwelling_m2": per,
        "meets_norm": booleans(meets_norm(per, norm)),
        "dwelling_headroom": np.where(empty, np.nan, ga.headroom(norm)),
    }


def compute(layers: Mapping[str, Layer], params: dict[str, Any], ctx: Context) -> Metrics:
    """Compute ``green-per-dwelling`` (see the indicator's method text)."""
    homes, green = layers["buildings"], layers["green"]
    dwellings = read_dwellings(homes, ctx)
    ctx.progress(0.1, "green within reach of each home")
    g, d = green_per_home(homes.geometries, dwellings, green.geometries, float(params["radius_m"]))
    return metrics_of(layers, params, ctx, dwellings, g, d)


def metrics_of(
    layers: Mapping[str, Layer],
    params: Mapping[str, Any],
    ctx: Context,
    dwellings: np.ndarray,
    g: np.ndarray,
    d: np.ndarray,
) -> Metrics:
    """Return the metrics from the per-home green ``g`` and dwellings ``d`` within reach.

    The neighbourhoods' and the overall green (unions of the homes' reach zones) are
    computed here from all homes, in one piece and in a tiled run alike.
    """
    homes, green, nbs = layers["buildings"], layers["green"], layers.get("neighbourhoods")
    radius = float(params["radius_m"])
    norm = float(params["norm_m2_per_dwelling"])
    per = per_dwelling(g, d)
    meets = meets_norm(per, norm)
    total_green = green_within_reach(homes.geometries, green.geometries, radius)
    total_d = float(dwellings.sum())
    known = ~np.isnan(meets) & (dwellings > 0)
    overall = {
        "buildings": int((dwellings > 0).sum()),
        "dwellings": total_d,
        "green_within_reach_m2": total_green,
        "green_per_dwelling_m2": total_green / total_d if total_d > 0 else np.nan,
        "share_buildings_meeting_norm": overall_share(meets == 1, where=known),
        "share_dwellings_meeting_norm": overall_share(meets == 1, dwellings, where=known),
    }
    area: dict[str, Any] = {}
    if nbs is not None and ctx.groups is not None:
        ctx.progress(0.6, "green per neighbourhood")
        area = _neighbourhood_metrics(
            homes,
            dwellings,
            nbs,
            green,
            radius=radius,
            norm=norm,
            area_index=ctx.groups.index,
            ctx=ctx,
        )
    feature = {
        "green_within_m2": g,
        "dwellings_within": d,
        "green_per_dwelling_m2": per,
        "meets_norm": booleans(meets),
    }
    return Metrics(feature=feature, area=area, overall=overall)


# --------------------------------------------------------------------- declaration

_PBL = Source(
    "PBL 2010",
    "PBL, Balans van de Leefomgeving 2010: beschikbaarheid openbaar groen binnen 500 meter "
    "van de woning; richtlijn 75 m² groen per woning binnen 500 m (Nota Ruimte 2004).",
    "https://themasites.pbl.nl/balansvandeleefomgeving/jaargang-2010/intensivering-"
    "verstedelijking-leefomgevingskwaliteit-en-woonwensen/beleidsevaluatie-stedelijke-"
    "leefomgevingskwaliteit/beleidsdossier-rood-groen-balans-stedelijke-netwerken/"
    "voldoende-groen-in-nieuwbouwwijken",
)
_ALTERRA = Source(
    "Bezemer et al. 2002",
    "Bezemer, V., Visschedijk, P. A. M., Bervaes, J. C. A. M., de Boer, T. A. (2002). Groene "
    "meters; toetsing van de groennorm uit het beoordelingskader Groen in de stad. "
    "Alterra-rapport 584, Wageningen.",
)


def _share(unit: str, nl: str, en: str) -> Metric:
    return metric(
        f"share_{unit}_meeting_norm",
        f"Aandeel {nl} dat voldoet aan de groennorm",
        f"Share of {en} meeting the green norm",
        FRACTION,
        direction="higher_is_better",
        digits=4,
        scored=True,
        description=f"{en.capitalize()} whose own green per dwelling reaches "
        "`norm_m2_per_dwelling`.",
    )


METRICS: tuple[Metric, ...] = (
    metric(
        "green_within_m2",
        "Groen binnen bereik",
        "Green within reach",
        "m²",
        levels=("feature", "area"),
        digits=2,
        description="Public green (overlaps once) within `radius_m` of the home (of the "
        "neighbourhood's homes).",
    ),
    metric(
        "dwellings_within",
        "Woningen binnen bereik",
        "Dwellings within reach",
        "count",
        levels=("feature",),
        digits=3,
        description="Dwellings of every home within `radius_m` of the home (its own included).",
    ),
    metric(
        "green_per_dwelling_m2",
        "Groen per woning",
        "Green per dwelling",
        "m²",
        levels=("feature", "area", "overall"),
        direction="higher_is_better",
        digits=3,
        scored=True,
        description="Green within reach ÷ the dwellings sharing it.",
    ),
    metric(
        "meets_norm",
        "Voldoet aan groennorm",
        "Meets the green norm",
        "boolean",
        levels=("feature", "area"),
        description="Green per dwelling at least `norm_m2_per_dwelling`.",
    ),
    metric("homes", "Woningen", "Homes", "count", levels=("area",), digits=0),
    metric(
        "dwellings",
        "Wooneenheden",
        "Dwellings",
        "count",
        levels=("area", "overall"),
        digits=3,
        description="Sum of the homes' `dwellings` (default 1).",
    ),
    metric(
        "dwellings_sharing",
        "Woningen die het groen delen",
        "Dwellings sharing the green",
        "count",
        levels=("area",),
        digits=3,
        description="Dwellings of all homes (of any neighbourhood) inside the neighbourhood's "
        "reach zone.",
    ),
    metric(
        "dwelling_headroom",
        "Ruimte voor woningen",
        "Dwelling headroom",
        "count",
        levels=("area",),
        direction="higher_is_better",
        digits=0,
        description="floor(green ÷ norm) − dwellings sharing it (negative: the deficit).",
    ),
    metric("buildings", "Woningen (gebouwen)", "Homes", "count", digits=0),
    metric(
        "green_within_reach_m2",
        "Groen binnen bereik van een woning",
        "Green within reach of any home",
        "m²",
        digits=2,
    ),
    _share("buildings", "woningen", "homes"),
    _share("dwellings", "wooneenheden", "dwellings"),
)


def tile_kernel(tile: TileData) -> TilePart:
    """Return green and dwellings within ``radius_m`` of each core home (see :func:`home_sums`)."""
    g, d = home_sums(
        tile.features,
        tile.windowed["reps"],
        tile.windowed_values["reps"],
        tile.windowed["parts"],
        float(tile.params["radius_m"]),
        reps_index=tile.windowed_index["reps"],
        parts_index=tile.windowed_index["parts"],
    )
    return TilePart(tile.tile, tile.core, {"green_within_m2": g, "dwellings_within": d})


def prepare_tiles(layers: Mapping[str, Layer], params: dict[str, Any], ctx: Context) -> Prepared:
    """Return the parent's part of a tiled run.

    The green is dissolved once (:func:`green_parts`) and cut to each tile's window,
    as are the homes' representative points with their dwellings (whoever may share a
    core home's reach); the tiles sum per home, the parent's ``finish`` makes the
    neighbourhoods' and the overall figures from all homes, as one piece does.
    """
    homes, green = layers["buildings"], layers["green"]
    dwellings = read_dwellings(homes, ctx)
    ctx.progress(0.1, "green within reach of each home")

    def finish(merged: Merged) -> Metrics:
        f = merged.feature
        return metrics_of(
            layers, params, ctx, dwellings, f["green_within_m2"], f["dwellings_within"]
        )

    return Prepared(
        kernel=f"{__name__}:tile_kernel",
        features=homes.geometries,
        finish=finish,
        windowed={
            "reps": representative_points(homes.geometries),
            "parts": green_parts(green.geometries),
        },
        windowed_values={"reps": np.asarray(dwellings, dtype=float)},
        params={"radius_m": float(params["radius_m"])},
    )


TILING = Tiling(
    reach=lambda params: float(params["radius_m"]),
    reach_text="radius_m (the neighbourhoods' and the overall green, unions of all "
    "homes' reach zones, are made in the parent from all homes)",
    prepare=prepare_tiles,
)
"""``green-per-dwelling`` in tiles: per home within ``radius_m``; areas in the parent."""

INDICATORS = (
    Indicator(
        id="green-per-dwelling",
        version="2.1.2",
        uses=("green-3-30-300",),
        title={"nl": "Openbaar groen per woning", "en": "Public green per dwelling"},
        description={
            "nl": "Openbaar groen binnen 500 m per woning, getoetst aan 75 m² per woning.",
            "en": "Public green within 500 m per dwelling, tested against 75 m² per dwelling.",
        },
        theme="green",
        method=(
            "A home is a feature with `dwellings` > 0 (absent: 1); features with 0 are not "
            "homes and are left out of every count and share (`data_quality.not_homes`; "
            "2.1.0: one definition of a home across all indicators, `gsl_indicators.core.homes`; "
            "2.1.1: a tiled run whose first tile had no green within any home's reach gave "
            "every home's green in whole m², truncated — fixed, and results cached before "
            "are not served again). "
            "After PBL (Balans van de Leefomgeving 2010) and Alterra's *Groene meters*: the "
            "public green within `radius_m` of the homes, divided by every dwelling within "
            "that same reach (new dwellings nearby lower the figure, as PBL notes). "
            "**Per home**: the green area (overlapping green counts once) inside the home's "
            "`radius_m` buffer, divided by the dwellings of all homes whose representative "
            "point lies in that buffer (its own included). "
            "**Per neighbourhood** (with `neighbourhoods`; a home belongs to the one holding "
            "its representative point, its `area_id`): the green inside the union of its "
            "homes' buffers, divided by the dwellings of all homes (of any neighbourhood) "
            "inside that union; `dwelling_headroom` = floor(green ÷ norm) − those dwellings: "
            "how many dwellings fit before the norm breaks (negative: the deficit). "
            "**Overall**: the green within reach of any home ÷ all dwellings, and the shares "
            "(fractions 0–1) of homes and dwellings whose own figure meets "
            "`norm_m2_per_dwelling`. Buffers are 64-gons (within 0.6 m of the circle). "
            "**Scores** 1–10 come from the norm profile per area type (`area_type` parameter, "
            "else the neighbourhood's `area_type` or `urbanity_class`), overall and per "
            "neighbourhood (flat `score_<metric>` columns), for `green_per_dwelling_m2` "
            "(headline) and, overall, the shares meeting the norm. The parameter and the "
            "profile play different parts: `norm_m2_per_dwelling` decides `meets_norm` and "
            "`dwelling_headroom`; the profile's band gives the score. In nl-default the band's "
            "minimum is the same 75 m² (score 6; ambition 100 m² scores 10), so with the "
            "defaults a figure that just meets the norm scores 6. A profile may set another "
            "minimum per area type (ggo-utrecht-example: 40 m² in the inner city); the flag "
            "then still follows the parameter, and both are shown (`norm_m2_per_dwelling` in "
            "the provenance parameters, the band in each scorecard)."
        ),
        compute=compute,
        metrics=METRICS,
        features="buildings",
        areas="neighbourhoods",
        tiling=TILING,
        inputs=(
            BUILDINGS,
            GeoInput(
                "green",
                "Public green",
                "Public green polygons: parks, plantsoenen, woods, day-recreation areas.",
                POLYGONS,
            ),
            GeoInput(
                "neighbourhoods",
                "Neighbourhoods",
                "Neighbourhoods for the per-neighbourhood figures and dwelling headroom.",
                POLYGONS,
                required=False,
            ),
        ),
        parameters=(
            Parameter(
                "radius_m",
                "Reach",
                "Green counts within this distance of a home (PBL: 500 m).",
                "number",
                default=500.0,
                minimum=50.0,
                maximum=3000.0,
                unit="m",
            ),
            Parameter(
                "norm_m2_per_dwelling",
                "Norm",
                "Public green per dwelling required (Nota Ruimte / PBL: 75 m²).",
                "number",
                default=75.0,
                minimum=0.0,
                maximum=1000.0,
                unit="m²",
            ),
        ),
        norms=(
            Norm(
                "norm_m2_per_dwelling",
                75,
                "m²/dwelling",
                "public green within 500 m per dwelling",
                "Nota Ruimte 2004; PBL 2010",
                "norm_m2_per_dwelling",
            ),
        ),
        sources=(_PBL, _ALTERRA),
        keywords=("groen per woning", "public green", "75 m²"),
        example={
            "buildings": EXAMPLE["buildings"],
            "green": EXAMPLE["parks"],
            "neighbourhoods": EXAMPLE["neighbourhoods"],
        },
    ),
)
