"""``water``: storage capacity against a design storm over the paved area; paved share.

The balance, per neighbourhood and for the whole input::

    demand_m3  = storm_mm / 1000 × (paved_area × paved_runoff + unpaved_area × unpaved_runoff)
    storage_m3 = Σ volume_m3  (or capacity_mm / 1000 × own area, for polygons without volume_m3)
    deficit_m3 = max(0, demand_m3 − storage_m3)
    deficit_mm = deficit_m3 / paved_area × 1000      (storm depth over the paved area left unstored)
    storage_ratio = storage_m3 / demand_m3            (1.0 = the design storm is stored)

Surfaces and storage polygons that cross neighbourhood boundaries are split by area;
storage points count in the neighbourhood they lie in. All overlays are vectorised
(one ``STRtree`` query, one ``intersection`` call over the crossing pairs, ``bincount``).
"""

from __future__ import annotations

import math
from collections.abc import Mapping
from typing import Any

import numpy as np
import shapely

from gsl_indicators.core.examples import box_feature, point_feature, rd_collection
from gsl_indicators.core.geo import Layer
from gsl_indicators.core.metrics import FRACTION, Level, Metrics, metric
from gsl_indicators.core.prepared import prepared_copy
from gsl_indicators.core.spec import (
    POINTS,
    POLYGONS,
    Context,
    GeoInput,
    Indicator,
    Norm,
    Output,
    Parameter,
    Source,
)
from gsl_indicators.core.wording import counted

__all__ = [
    "GES_NOTE_WATER",
    "INDICATORS",
    "METRICS",
    "NEIGHBOURHOODS",
    "balance",
    "compute",
    "flags",
    "neighbourhood_storage",
    "neighbourhood_surfaces",
    "overlay_pairs",
    "storage_volumes",
    "warn_coverage",
    "warn_outside",
]

# Storage volume (m³; ≤ 0: no capacity, said) and depth (mm), refused outside them.
STORAGE_RANGES = {"volume_m3": (-1e9, 1e9), "capacity_mm": (-1e9, 1e4)}
_TRUE = {"true", "ja", "yes", "y", "j", "1", "t"}
_FALSE = {"false", "nee", "no", "n", "0", "f"}

GES_NOTE_WATER = (
    "No GES score: the GGD handbook Gezondheidseffectscreening (GGD Nederland 2012; "
    "Stad & Milieu 1.4, 2008) has modules for air, noise, odour, external safety, "
    "electromagnetic fields and soil contamination, but none for pluvial flooding or "
    "paved share, so no GES class limits exist for this factor."
)


NEIGHBOURHOODS = GeoInput(
    "neighbourhoods",
    "Neighbourhoods",
    "Areas to report per (optional `area_type` or `urbanity_class` property).",
    POLYGONS,
    required=False,
    properties={
        "area_type": "GGO area type or CBS class for the profile bands",
        "urbanity_class": "CBS urbanity class 1–5 (used when area_type is absent)",
    },
)


def flags(layer: Layer, keys: tuple[str, ...], ctx: Context | None = None) -> np.ndarray:
    """Return a boolean property as 1.0 / 0.0 per feature, NaN where absent or unclear.

    The first of ``keys`` present on a feature is used. Accepts JSON booleans, 0/1,
    and the strings true/false, ja/nee, yes/no. Features without a usable value are
    counted in a ``missing-property`` warning.

    Examples
    --------
    >>> from gsl_indicators.core.geo import GEO_IN, parse_layer
    >>> pt = {"type": "Point", "coordinates": [121000, 487000]}
    >>> lyr = parse_layer(GEO_IN, {"type": "FeatureCollection", "features": [
    ...     {"type": "Feature", "geometry": pt, "properties": {"paved": v}}
    ...     for v in (True, "nee", 1, None)]}, "EPSG:28992")
    >>> flags(lyr, ("paved",)).tolist()
    [1.0, 0.0, 1.0, nan]
    """
    out = np.full(len(layer), np.nan)
    for i, props in enumerate(layer.properties):
        v = next((props[k] for k in keys if props.get(k) is not None), None)
        if isinstance(v, bool) or (isinstance(v, int | float) and v in (0, 1)):
            out[i] = float(v)
        elif isinstance(v, str):
            s = v.strip().lower()
            out[i] = 1.0 if s in _TRUE else 0.0 if s in _FALSE else np.nan
    missing = int(np.isnan(out).sum())
    if missing and ctx is not None:
        ctx.warn(
            "missing-property",
            layer.name,
            f"{missing} of {len(layer)} features have no usable "
            f"{' / '.join(repr(k) for k in keys)} (true/false); they are left out",
            missing,
        )
    return out


def overlay_pairs(
    geoms: np.ndarray, zones: np.ndarray
) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """Return ``(geom_index, zone_index, measure)`` for every intersecting pair.

    ``measure`` is the area of the intersection for polygons, its length for lines,
    and 1 for points. Pairs where the zone contains the geometry properly skip the
    intersection (their measure is the geometry's own), so only geometries crossing
    a zone boundary are cut.

    Examples
    --------
    >>> g = np.array([shapely.box(0, 0, 10, 10), shapely.box(15, 0, 25, 10)])
    >>> z = np.array([shapely.box(0, 0, 20, 20), shapely.box(20, 0, 40, 20)])
    >>> gi, zi, a = overlay_pairs(g, z)
    >>> sorted(zip(gi.tolist(), zi.tolist(), a.tolist()))
    [(0, 0, 100.0), (1, 0, 50.0), (1, 1, 50.0)]

    A polygon sharing only an edge with a zone, or a line only a point, has nothing
    in it:

    >>> tiles = np.array([shapely.box(0, 0, 20, 20), shapely.box(20, 0, 40, 20)])
    >>> street = shapely.linestrings([[0, 0], [20, 0]])
    >>> gi, zi, a = overlay_pairs(np.array([tiles[0], street]), tiles)
    >>> sorted(zip(gi.tolist(), zi.tolist(), a.tolist()))
    [(0, 0, 400.0), (1, 0, 20.0)]
    """
    if len(geoms) == 0 or len(zones) == 0:
        e = np.zeros(0, dtype=np.intp)
        return e, e, np.zeros(0)
    zones = prepared_copy(zones)  # never the shared layer's own (core/prepared.py)
    gi, zi = shapely.STRtree(zones).query(geoms, predicate="intersects")
    inside = shapely.contains_properly(zones[zi], geoms[gi])
    g = geoms[gi]
    dim = shapely.get_dimensions(g)
    measure = _measure(g, dim)
    cut = ~inside
    if cut.any():
        # Measured in the dimension of the geometry, not of the intersection: a
        # polygon that only shares an edge with a zone meets it in a line, whose
        # length is no area of the polygon in the zone (nor is a line's touching
        # point any length of it).
        measure[cut] = _measure(shapely.intersection(g[cut], zones[zi[cut]]), dim[cut])
    keep = measure > 0
    return gi[keep], zi[keep], measure[keep]


def warn_coverage(coverage: np.ndarray, ctx: Context, over_covered: str) -> None:
    """Warn where the ``surfaces`` overlap (coverage > 1.001) or leave gaps (< 0.95).

    ``coverage`` is the surface area inside each neighbourhood ÷ its area;
    ``over_covered`` names what is computed over the covered part ("shares are").
    """
    over = int((coverage > 1.001).sum())
    if over:
        ctx.warn(
            "surfaces-overlap",
            "surfaces",
            f"in {counted(over, 'neighbourhood', 'neighbourhoods')} the surfaces add up to more than the area: "
            "surfaces overlap, and overlapping area counts twice",
            over,
        )
    low = int((coverage < 0.95).sum())
    if low:
        ctx.warn(
            "surfaces-incomplete",
            "surfaces",
            f"in {counted(low, 'neighbourhood', 'neighbourhoods')} the surfaces cover less than 95 % of the area; "
            f"{over_covered} over the covered part",
            low,
        )


def _measure(geoms: np.ndarray, dim: np.ndarray | None = None) -> np.ndarray:
    """Return the area, length or 1 of ``geoms`` by dimension ``dim`` (default their own)."""
    if dim is None:
        dim = shapely.get_dimensions(geoms)
    return np.where(
        dim == 2, shapely.area(geoms), np.where(dim == 1, shapely.length(geoms), 1.0)
    ).astype(float)


def storage_volumes(storage: Layer, ctx: Context | None = None) -> tuple[np.ndarray, list[str]]:
    """Return each storage feature's volume in m³ and where it came from.

    ``volume_m3`` wins; else ``capacity_mm`` × the feature's own area (polygons). A
    feature with neither (or a negative value) stores nothing and is counted in a
    warning.

    Examples
    --------
    >>> from gsl_indicators.core.geo import GEO_IN, parse_layer
    >>> from gsl_indicators.core.spec import GeoInput, POINTS, POLYGONS
    >>> spec = GeoInput("storage", "s", "s", POINTS + POLYGONS)
    >>> sq = shapely.geometry.mapping(shapely.box(121000, 487000, 121010, 487020))  # 200 m²
    >>> lyr = parse_layer(spec, {"type": "FeatureCollection", "features": [
    ...     {"type": "Feature", "geometry": sq, "properties": {"capacity_mm": 50}},
    ...     {"type": "Feature", "geometry": sq, "properties": {"volume_m3": 7, "capacity_mm": 50}},
    ... ]}, "EPSG:28992")
    >>> vol, src = storage_volumes(lyr)
    >>> vol.tolist(), src
    ([10.0, 7.0], ['capacity_mm', 'volume_m3'])
    """
    vol = storage.number("volume_m3", valid=STORAGE_RANGES["volume_m3"])  # ≤ 0: said
    cap = storage.number("capacity_mm", valid=STORAGE_RANGES["capacity_mm"])
    area = shapely.area(storage.geometries)
    from_cap = np.isnan(vol) & ~np.isnan(cap) & (area > 0)
    out = np.where(~np.isnan(vol), vol, np.where(from_cap, cap / 1000.0 * area, np.nan))
    bad = np.isnan(out) | (out < 0)
    if bad.any() and ctx is not None:
        ctx.warn(
            "storage-without-capacity",
            storage.name,
            f"{int(bad.sum())} storage features have no usable 'volume_m3' or 'capacity_mm' "
            "(over a polygon); they store nothing",
            int(bad.sum()),
        )
    out = np.where(bad, 0.0, out)
    source = [
        "volume_m3" if not math.isnan(v) else "capacity_mm" if c else "none"
        for v, c in zip(vol.tolist(), (from_cap & ~bad).tolist(), strict=True)
    ]
    return out, source


def balance(
    paved_m2: np.ndarray,
    unpaved_m2: np.ndarray,
    storage_m3: np.ndarray,
    storm_mm: float,
    paved_runoff: float = 1.0,
    unpaved_runoff: float = 0.0,
) -> dict[str, np.ndarray]:
    """Return the storm balance (vectorised over areas).

    Examples
    --------
    Worked on paper: 6,000 m² paved, 4,000 m² unpaved, 160 m³ storage, a 60 mm storm.
    Demand 0.060 m × 6,000 m² = 360 m³; deficit 360 − 160 = 200 m³, i.e.
    200 / 6,000 m² = 33.3 mm; ratio 160 / 360 = 0.444.

    >>> b = balance(np.array([6000.0]), np.array([4000.0]), np.array([160.0]), 60.0)
    >>> [round(float(b[k][0]), 3) for k in ("demand_m3", "deficit_m3", "deficit_mm",
    ...                                      "storage_ratio", "paved_share")]
    [360.0, 200.0, 33.333, 0.444, 0.6]
    """
    demand = storm_mm / 1000.0 * (paved_m2 * paved_runoff + unpaved_m2 * unpaved_runoff)
    deficit = np.maximum(0.0, demand - storage_m3)
    total = paved_m2 + unpaved_m2
    with np.errstate(invalid="ignore", divide="ignore", over="ignore"):
        return {
            "surface_area_m2": total,
            "paved_area_m2": paved_m2,
            "paved_share": np.where(total > 0, paved_m2 / total, np.nan),
            "demand_m3": demand,
            "storage_m3": storage_m3,
            "storage_mm": np.where(paved_m2 > 0, storage_m3 / paved_m2 * 1000.0, np.nan),
            "storage_ratio": np.where(demand > 0, storage_m3 / demand, np.nan),
            "deficit_m3": deficit,
            "deficit_mm": np.where(paved_m2 > 0, deficit / paved_m2 * 1000.0, np.nan),
            "surplus_m3": np.maximum(0.0, storage_m3 - demand),
        }


def neighbourhood_storage(storage: Layer, volume: np.ndarray, hoods: Layer) -> np.ndarray:
    """Return the storage volume (m³) in each neighbourhood.

    Polygons are split by area share; a point counts whole, and in one neighbourhood
    only when it lies on a shared boundary (the first one).

    Examples
    --------
    >>> from gsl_indicators.core.geo import parse_layer
    >>> spec = GeoInput("x", "x", "x", POINTS + POLYGONS)
    >>> def layer(*geoms):
    ...     return parse_layer(spec, {"type": "FeatureCollection", "features": [
    ...         {"type": "Feature", "geometry": shapely.geometry.mapping(g)} for g in geoms]},
    ...         "EPSG:28992")
    >>> x, y = 121_000, 487_000  # RD New
    >>> hoods = layer(shapely.box(x, y, x + 50, y + 100), shapely.box(x + 50, y, x + 100, y + 100))
    >>> store = layer(shapely.box(x + 40, y + 50, x + 60, y + 60), shapely.Point(x + 50, y + 90))
    >>> neighbourhood_storage(store, np.array([100.0, 50.0]), hoods).tolist()
    [100.0, 50.0]
    """
    n = len(hoods)
    if not len(storage):
        return np.zeros(n)
    sgi, szi, smeas = overlay_pairs(storage.geometries, hoods.geometries)
    own = _measure(storage.geometries)[sgi]
    frac = np.where(own > 0, smeas / np.where(own > 0, own, 1.0), 0.0)
    pt = shapely.get_dimensions(storage.geometries)[sgi] == 0
    if pt.any():
        order = np.lexsort((szi, sgi))
        dup = np.zeros(len(sgi), dtype=bool)
        dup[order[1:]] = sgi[order[1:]] == sgi[order[:-1]]
        frac[pt & dup] = 0.0
    return np.bincount(szi, weights=volume[sgi] * frac, minlength=n)


def neighbourhood_surfaces(
    surfaces: Layer, paved: np.ndarray, hoods: Layer
) -> tuple[np.ndarray, np.ndarray]:
    """Return the paved and unpaved surface area (m²) inside each neighbourhood.

    Surfaces without a known ``paved`` value (NaN) are left out; surfaces crossing a
    boundary are split by area.

    Examples
    --------
    >>> from gsl_indicators.core.geo import parse_layer
    >>> spec = GeoInput("x", "x", "x", POINTS + POLYGONS)
    >>> def layer(*geoms):
    ...     return parse_layer(spec, {"type": "FeatureCollection", "features": [
    ...         {"type": "Feature", "geometry": shapely.geometry.mapping(g)} for g in geoms]},
    ...         "EPSG:28992")
    >>> x, y = 121_000, 487_000  # RD New
    >>> hoods = layer(shapely.box(x, y, x + 50, y + 100), shapely.box(x + 50, y, x + 100, y + 100))
    >>> surf = layer(shapely.box(x, y, x + 100, y + 20), shapely.box(x, y + 20, x + 100, y + 100))
    >>> [a.tolist() for a in neighbourhood_surfaces(surf, np.array([1.0, 0.0]), hoods)]
    [[1000.0, 1000.0], [4000.0, 4000.0]]
    """
    n = len(hoods)
    idx = np.flatnonzero(~np.isnan(paved))
    gi, zi, area = overlay_pairs(surfaces.geometries[idx], hoods.geometries)
    is_paved = paved[idx][gi] == 1
    return (
        np.bincount(zi, weights=area * is_paved, minlength=n),
        np.bincount(zi, weights=area * ~is_paved, minlength=n),
    )


def warn_outside(
    ctx: Context, *, surfaces_m2: float, inside_m2: float, storage_m3: float, stored_m3: float
) -> None:
    """Warn about surface area and storage volume outside every neighbourhood."""
    if storage_m3 - stored_m3 > 1e-6 * max(1.0, storage_m3):
        ctx.warn(
            "storage-outside-neighbourhoods",
            "storage",
            f"{storage_m3 - stored_m3:.1f} m³ of storage lies outside every neighbourhood "
            "(it counts in the overall balance only)",
        )
    if surfaces_m2 > 0 and inside_m2 < surfaces_m2 * 0.999:
        ctx.warn(
            "surfaces-outside-neighbourhoods",
            "surfaces",
            f"{surfaces_m2 - inside_m2:.0f} m² of surfaces lies outside every "
            "neighbourhood (it counts in the overall balance only)",
        )


def compute(layers: Mapping[str, Layer], params: dict[str, Any], ctx: Context) -> Metrics:
    """Compute the storm balance per neighbourhood and overall."""
    surfaces, storage = layers["surfaces"], layers.get("storage")
    hoods = layers.get("neighbourhoods")
    runoff = {
        "storm_mm": float(params["storm_mm"]),
        "paved_runoff": float(params["paved_runoff"]),
        "unpaved_runoff": float(params["unpaved_runoff"]),
    }
    ctx.progress(0.1, "reading surfaces")
    paved = flags(surfaces, ("paved",), ctx)
    s_area = shapely.area(surfaces.geometries)
    volume, vsource = storage_volumes(storage, ctx) if storage is not None else (np.zeros(0), [])
    paved_m2, unpaved_m2 = (
        float((s_area * (paved == 1)).sum()),
        float((s_area * (paved == 0)).sum()),
    )
    total = balance(
        np.array([paved_m2]), np.array([unpaved_m2]), np.array([volume.sum()]), **runoff
    )
    overall: dict[str, Any] = {k: v[0] for k, v in total.items()}
    overall |= {"surfaces": int((~np.isnan(paved)).sum()), "storage_features": len(volume)}
    area: dict[str, Any] = {}
    if hoods is not None:
        ctx.progress(0.3, "overlaying surfaces and neighbourhoods")
        paved_n, unpaved_n = neighbourhood_surfaces(surfaces, paved, hoods)
        ctx.progress(0.6, "distributing storage")
        store_n = (
            np.zeros(len(hoods))
            if storage is None
            else neighbourhood_storage(storage, volume, hoods)
        )
        warn_outside(
            ctx,
            surfaces_m2=paved_m2 + unpaved_m2,
            inside_m2=float(paved_n.sum() + unpaved_n.sum()),
            storage_m3=float(volume.sum()),
            stored_m3=float(store_n.sum()),
        )
        area = balance(paved_n, unpaved_n, store_n, **runoff)
        with np.errstate(invalid="ignore", divide="ignore"):
            hood_m2 = shapely.area(hoods.geometries)
            area["surface_coverage"] = np.where(
                hood_m2 > 0, area["surface_area_m2"] / hood_m2, np.nan
            )
        warn_coverage(area["surface_coverage"], ctx, "shares are")
        overall["sum_of_neighbourhood_deficits_m3"] = float(area["deficit_m3"].sum())
    return Metrics(
        feature={"volume_m3_used": volume, "capacity_source": vsource},
        area=area,
        overall=overall,
        outputs={"ges": {"available": False, "note": GES_NOTE_WATER}},
    )


_BOTH: tuple[Level, ...] = ("area", "overall")

METRICS = (
    metric(
        "surface_area_m2",
        "Oppervlak",
        "Surface area",
        "m²",
        levels=_BOTH,
        digits=1,
        description="Area of the surfaces with a known `paved` value.",
    ),
    metric("paved_area_m2", "Verhard oppervlak", "Paved area", "m²", levels=_BOTH, digits=1),
    metric(
        "paved_share",
        "Aandeel verhard",
        "Paved share",
        FRACTION,
        levels=_BOTH,
        direction="lower_is_better",
        digits=4,
        scored=True,
        description="Paved area ÷ surface area.",
    ),
    metric(
        "demand_m3",
        "Af te voeren bui",
        "Runoff of the design storm",
        "m³",
        levels=_BOTH,
        digits=2,
        description="storm_mm ÷ 1000 × (paved × paved_runoff + unpaved × unpaved_runoff).",
    ),
    metric(
        "storage_m3",
        "Berging",
        "Storage",
        "m³",
        levels=_BOTH,
        direction="higher_is_better",
        digits=2,
    ),
    metric(
        "storage_mm",
        "Berging per verhard m²",
        "Storage over the paved area",
        "mm",
        levels=_BOTH,
        direction="higher_is_better",
        digits=2,
        description="Storage ÷ paved area × 1000.",
    ),
    metric(
        "storage_ratio",
        "Bergingsgraad",
        "Storage ratio",
        "ratio",
        levels=_BOTH,
        direction="higher_is_better",
        digits=4,
        scored=True,
        description="Storage ÷ runoff of the design storm (1 = the storm is stored).",
    ),
    metric(
        "deficit_m3",
        "Bergingstekort",
        "Storage deficit",
        "m³",
        levels=_BOTH,
        direction="lower_is_better",
        digits=2,
        description="max(0, demand − storage).",
    ),
    metric(
        "deficit_mm",
        "Bergingstekort per verhard m²",
        "Deficit over the paved area",
        "mm",
        levels=_BOTH,
        direction="lower_is_better",
        digits=2,
        description="Deficit ÷ paved area × 1000: storm depth left unstored.",
    ),
    metric(
        "surplus_m3",
        "Bergingsoverschot",
        "Storage surplus",
        "m³",
        levels=_BOTH,
        digits=2,
        description="max(0, storage − demand).",
    ),
    metric(
        "surface_coverage",
        "Dekking oppervlakken",
        "Surface coverage",
        "ratio",
        levels=("area",),
        digits=4,
        description="Surface area inside the neighbourhood ÷ its area (above 1: overlaps).",
    ),
    metric(
        "sum_of_neighbourhood_deficits_m3",
        "Som van buurttekorten",
        "Sum of neighbourhood deficits",
        "m³",
        direction="lower_is_better",
        digits=2,
        description="Deficits per neighbourhood added up (storage does not cross boundaries).",
    ),
    metric(
        "surfaces",
        "Oppervlakken",
        "Surfaces",
        "count",
        digits=0,
        description="Surfaces with a usable `paved` value.",
    ),
    metric("storage_features", "Bergingsobjecten", "Storage features", "count", digits=0),
    metric(
        "volume_m3_used",
        "Gebruikt volume",
        "Volume used",
        "m³",
        levels=("feature",),
        digits=3,
        description="The storage feature's volume: `volume_m3`, else `capacity_mm` × its area.",
    ),
    metric(
        "capacity_source",
        "Bron volume",
        "Source of the volume",
        "class",
        levels=("feature",),
        description="`volume_m3`, `capacity_mm` or `none`.",
    ),
)


def _example() -> dict[str, Any]:
    x, y = 121000.0, 487000.0
    return {
        "surfaces": rd_collection(
            [
                box_feature(x, y, x + 100, y + 60, "street", paved=True),
                box_feature(x, y + 60, x + 100, y + 100, "park", paved=False),
            ]
        ),
        "storage": rd_collection(
            [
                box_feature(x + 10, y + 70, x + 30, y + 80, "wadi", capacity_mm=300),
                point_feature(x + 50, y + 30, "tank", volume_m3=100),
            ]
        ),
        "neighbourhoods": rd_collection(
            [box_feature(x, y, x + 100, y + 100, "BU01", area_type="stedelijk-wonen")]
        ),
        "storm_mm": 60,
    }


INDICATORS = (
    Indicator(
        id="water",
        version="2.1.2",
        title={
            "nl": "Water: berging bij een ontwerpbui",
            "en": "Water: storage for a design storm",
        },
        description={
            "nl": "Bergingscapaciteit (m³ of mm × oppervlak) tegenover een ontwerpbui over het "
            "verharde oppervlak; verhard aandeel; tekort in m³ en mm, per buurt en totaal.",
            "en": "Storage capacity (m³, or mm over its area) against a design storm over the "
            "paved area; paved share; the deficit in m³ and mm, per neighbourhood and overall.",
        },
        theme="water",
        method=(
            "Runoff demand = `storm_mm` ÷ 1000 × (paved area × `paved_runoff` + unpaved area × "
            "`unpaved_runoff`), areas from the `surfaces` polygons (`paved` true/false). Storage "
            "= Σ `volume_m3` of the `storage` features, or `capacity_mm` ÷ 1000 × the feature's "
            "own area (green roofs, wadis, permeable paving) where no volume is given; a storage "
            "feature adds capacity and does not change the paved area. Deficit = max(0, demand − "
            "storage) in m³, and in mm over the paved area; storage_ratio = storage ÷ demand. Per "
            "neighbourhood, surfaces and storage polygons are split by area at the boundaries and "
            "storage points count where they lie; overall, all storage offsets all demand (and "
            "the sum of the neighbourhood deficits is given beside it). Each storage feature gets "
            "its `volume_m3_used`, `capacity_source` and the `area_id` of the neighbourhood "
            "holding its representative point. Shares are fractions 0–1. Scores 1–10 for "
            "storage_ratio and paved_share come from the norm profile per area type "
            "(`score_<metric>` per neighbourhood). No GES score: the GGD GES handbook has no "
            "module for pluvial flooding (output `ges`). The default design storm (60 mm) "
            "is indicative, not a cited norm (2.1.0 says so): water boards set their own "
            "figure and the Landelijke maatlat groene klimaatadaptieve gebouwde omgeving "
            "(2023) is the national reference to check it against."
        ),
        compute=compute,
        inputs=(
            GeoInput(
                "surfaces",
                "Surfaces",
                "Land-cover polygons covering the area, each paved or not (no overlaps).",
                POLYGONS,
                properties={"paved": "true for paved / sealed surfaces (roofs, roads), else false"},
            ),
            GeoInput(
                "storage",
                "Storage",
                "Water storage: tanks, wadis, green roofs, permeable paving, ponds.",
                POINTS + POLYGONS,
                required=False,
                ranges=STORAGE_RANGES,
                properties={
                    "volume_m3": "storage volume in m³ (wins when given)",
                    "capacity_mm": "storage depth in mm over the feature's own area (polygons)",
                },
            ),
            NEIGHBOURHOODS,
        ),
        parameters=(
            Parameter(
                "storm_mm",
                "Design storm depth",
                "Rain depth of the design storm that must be stored. The default 60 mm is "
                "INDICATIVE: a common design figure of water boards (they set it differently, "
                "commonly 60–70 mm in an hour), not a cited national norm. The national "
                "reference to check against is the Landelijke maatlat groene klimaatadaptieve "
                "gebouwde omgeving (2023; for new construction); set your water board's or "
                "the maatlat's figure.",
                "number",
                default=60.0,
                minimum=10.0,
                maximum=200.0,
                unit="mm",
            ),
            Parameter(
                "paved_runoff",
                "Runoff coefficient, paved",
                "Share of the rain on paved surfaces that runs off (1 = all).",
                "number",
                default=1.0,
                minimum=0.0,
                maximum=1.0,
            ),
            Parameter(
                "unpaved_runoff",
                "Runoff coefficient, unpaved",
                "Share of the rain on unpaved surfaces that runs off (0 = it all infiltrates).",
                "number",
                default=0.0,
                minimum=0.0,
                maximum=1.0,
            ),
        ),
        metrics=METRICS,
        features="storage",
        areas="neighbourhoods",
        outputs=(
            Output(
                "ges",
                "GES",
                "Whether a GES score exists for this factor (none: no GES module) and why.",
            ),
        ),
        norms=(
            Norm(
                "storm_mm",
                60,
                "mm",
                "Indicative: design storm depth to store over the paved area (varies per "
                "water board; no cited national figure behind 60 mm)",
                "indicative; reference to check: Landelijke maatlat groene klimaatadaptieve "
                "gebouwde omgeving (2023), and the water board",
                "storm_mm",
            ),
        ),
        sources=(
            Source(
                "Landelijke maatlat",
                "Landelijke maatlat voor een groene klimaatadaptieve gebouwde omgeving (2023)",
                "https://www.gwwtotaal.nl/2023/09/19/maatlat-groene-klimaatadaptieve-gebouwde-omgeving/",
            ),
            Source(
                "GES",
                "Fast, Van den Hazel & Van de Weerdt, Handboek Gezondheidseffectscreening: "
                "gezondheid en milieu in ruimtelijke planvorming, GGD Nederland (2012)",
                "https://www.fastadvies.com/2012/11/handboek-ges-gezondheid-en-milieu-in-ruimtelijke-planvorming-fast-t-p-j-van-den-hazel-en-d-h-j-van-de-weerdt-fast-advies-en-burweau-medische-milieukunde-jans-van-den-hazel-van-de-weerdt-gg/",
            ),
        ),
        keywords=("wateroverlast", "berging", "klimaatadaptatie", "verharding"),
        example=_example(),
    ),
)
