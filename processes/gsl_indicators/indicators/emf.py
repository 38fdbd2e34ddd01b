"""``emf``: homes and children's facilities inside the magnetic-field zone of power lines.

The national precautionary advice (letter of the State Secretary of VROM to
municipalities, provinces and network operators, 3 October 2005, confirmed and
clarified by the letter of 4 November 2008, DGM/2008105664) is to avoid, as far as
reasonably possible, new situations in which children stay for long periods in the zone
around overhead high-voltage lines where the annual mean magnetic field exceeds 0.4 µT
(the *magneetveldzone*): homes, schools, crèches and childcare.

Input ``power_lines`` (line axes): the zone reaches ``zone_width_m`` metres on either
side of the axis (the width the RIVM Netkaart or a calculation after the RIVM
*Handreiking* gives for that line). A line without ``zone_width_m`` takes the width of
its ``voltage_kv`` (and optional ``configuration``) from the table parameter
``indicative_widths``. That table is **empty by default**: the RIVM Netkaart gives an
indicative width per line (it depends on the current, the mast and the phasing of that
line), not per voltage, so no voltage→width figure could be cited; a line with no width
is left out and counted in a warning. A building is inside the zone when its footprint
(or point) lies within the width of a line's axis — at exactly the width it is inside.

Scored: ``share_homes_in_zone`` (headline) and ``share_children_facilities_in_zone``,
"lower is better" (indicative bands: the advice is about new situations, it sets no
share).
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import Any

import numpy as np
import pydantic
import shapely

from gsl_indicators.core.examples import line_feature, point_feature, rd_collection
from gsl_indicators.core.exposure import (
    BUILDINGS,
    HOME_METRICS,
    NEIGHBOURHOODS,
    count_metric,
    flag_metric,
    metric,
    read_homes,
    share_metric,
    whole,
)
from gsl_indicators.core.geo import Layer
from gsl_indicators.core.homes import DWELLINGS_RANGE
from gsl_indicators.core.metrics import AreaGroups, Metrics
from gsl_indicators.core.spec import (
    LINES,
    Context,
    GeoInput,
    Indicator,
    Norm,
    Output,
    Parameter,
    Source,
)
from gsl_indicators.indicators.external_safety import normalise

# A line's zone width (m; the widest 380 kV zones are ~300 m) and voltage (kV),
# refused outside them (the description shows them).
LINE_RANGES = {"zone_width_m": (0.0, 5000.0), "voltage_kv": (0.0, 2000.0)}
ZONE_UT = 0.4
EDGE_TOLERANCE_M = 1e-6
"""A building this far (1 µm) beyond a zone width still counts as on the edge (floating point)."""
ADVICE = (
    "Ministerie van VROM, advice on overhead high-voltage lines to municipalities, provinces "
    "and network operators, letter of 3 October 2005; clarified by the letter of 4 November "
    "2008 (DGM/2008105664): avoid as far as reasonably possible new situations where "
    "children stay long in the zone of an annual mean magnetic field above 0.4 µT (homes, "
    "schools, crèches, childcare)"
)
ADVICE_URL = "https://www.infomil.nl/onderwerpen/ruimte/functies/bovengrondse/beleid/"
NETKAART = (
    "RIVM (2018). Indicatieve magneetveldzones rond bovengrondse hoogspanningslijnen - "
    "Toelichting bij de geactualiseerde Netkaart: an indicative zone width per individual "
    "line (at 30 % of the design load for 220/380 kV, 50 % for 50/110/150 kV)"
)
NETKAART_URL = (
    "https://www.rivm.nl/publicaties/indicatieve-magneetveldzones-rond-bovengrondse-"
    "hoogspanningslijnen-toelichting-bij"
)
HANDREIKING_URL = "https://www.rivm.nl/hoogspanningslijnen/handreiking"
DEFAULT_CHILDREN_FUNCTIONS = (
    "school",
    "basisschool",
    "primary_school",
    "creche",
    "crèche",
    "kinderdagverblijf",
    "kinderopvang",
    "childcare",
    "peuterspeelzaal",
    "bso",
)
NO_WIDTH = (
    "no zone width: give `zone_width_m` per line (RIVM Netkaart or a calculation after the "
    "RIVM Handreiking) or an `indicative_widths` entry for its voltage; no default width "
    "per voltage could be cited"
)


class IndicativeWidth(pydantic.BaseModel):
    """One row of ``indicative_widths``: a voltage (and configuration) and its zone width."""

    model_config = pydantic.ConfigDict(extra="forbid", title="IndicativeWidth")

    voltage_kv: pydantic.PositiveFloat = pydantic.Field(description="Line voltage (kV).")
    configuration: str | None = pydantic.Field(
        default=None, description="Optional configuration (matches `configuration`)."
    )
    zone_width_m: pydantic.PositiveFloat = pydantic.Field(
        description="Zone width on either side of the axis (m)."
    )
    source: str = pydantic.Field(default="given in the request", description="Where it is from.")


def line_widths(layer: Layer, table: Sequence[Mapping[str, Any]]) -> tuple[np.ndarray, np.ndarray]:
    """Return each line's zone width (NaN: none) and whether it came from ``indicative_widths``.

    ``zone_width_m`` on the line wins; else the row with the same ``voltage_kv`` and
    ``configuration``, else the row with that voltage and no configuration.

    Examples
    --------
    >>> from gsl_indicators.core.geo import GEO_IN, RD_NEW, parse_layer
    >>> fc = {"type": "FeatureCollection", "features": [
    ...     {"type": "Feature", "geometry": {"type": "Point", "coordinates": [121000, 487000]},
    ...      "properties": p} for p in ({"zone_width_m": 40}, {"voltage_kv": 150},
    ...                                 {"voltage_kv": 150, "configuration": "Donau"},
    ...                                 {"voltage_kv": 50})]}
    >>> rows = [{"voltage_kv": 150, "configuration": None, "zone_width_m": 60},
    ...         {"voltage_kv": 150, "configuration": "donau", "zone_width_m": 70}]
    >>> w, mapped = line_widths(parse_layer(GEO_IN, fc, RD_NEW), rows)
    >>> w.tolist(), mapped.tolist()
    ([40.0, 60.0, 70.0, nan], [False, True, True, False])
    """
    width = layer.number("zone_width_m", valid=LINE_RANGES["zone_width_m"])
    width = np.where(width > 0, width, np.nan)
    volt = layer.number("voltage_kv", valid=LINE_RANGES["voltage_kv"])
    conf = [normalise(c) for c in layer.text("configuration")]
    lookup = {
        (float(r["voltage_kv"]), normalise(r.get("configuration"))): float(r["zone_width_m"])
        for r in table
    }
    mapped = np.zeros(len(layer), dtype=bool)
    for i in np.flatnonzero(np.isnan(width) & np.isfinite(volt)):
        w = lookup.get((float(volt[i]), conf[i]), lookup.get((float(volt[i]), None)))
        if w is not None:
            width[i], mapped[i] = w, True
    return width, mapped


def line_segments(lines: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """Return every straight segment of ``lines`` and the index of the line it belongs to.

    Examples
    --------
    >>> segs, of = line_segments(np.array([shapely.LineString([(0, 0), (1, 0), (1, 1)])]))
    >>> [s.wkt for s in segs], of.tolist()
    (['LINESTRING (0 0, 1 0)', 'LINESTRING (1 0, 1 1)'], [0, 0])
    """
    parts, part_of = shapely.get_parts(lines, return_index=True)
    xy, idx = shapely.get_coordinates(parts, return_index=True)
    same = idx[1:] == idx[:-1]
    start, end = xy[:-1][same], xy[1:][same]
    segments = shapely.linestrings(np.stack([start, end], axis=1))
    return segments, part_of[idx[:-1][same]]


def in_zone(buildings: np.ndarray, lines: np.ndarray, widths: np.ndarray) -> np.ndarray:
    """Return per building whether it lies within the zone width of any line (≤ width: inside).

    Each line is cut into its straight segments (a long line's bounding box would hold most
    of a district); one STRtree query of the buildings by every segment's buffer (a polygon
    a little wider than the zone, prepared once) gives the candidates, and each candidate
    is decided on its exact distance to the segment: the distance to a line is the least
    distance to its segments, so the buffer's polygon approximation never decides.

    Examples
    --------
    >>> lines = np.array([shapely.LineString([(0, 0), (100, 0)])])
    >>> b = shapely.points([[50, 30], [50, 30.01], [120, 0], [-20, 0]])
    >>> in_zone(b, lines, np.array([30.0])).tolist()  # 30 m exactly is inside; round ends
    [True, False, True, True]
    """
    out = np.zeros(len(buildings), dtype=bool)
    ok = np.flatnonzero(np.isfinite(widths) & (widths > 0))
    if not len(buildings) or not len(ok):
        return out
    segments, of = line_segments(lines[ok])
    w = widths[ok][of]
    # A buffer's vertices lie on the true offset curve and its chords inside it, by at most
    # w·(1 − cos(π / (4·quad_segs))) < 0.5 % of w at quad_segs 8: 1 % + 1 m more covers
    # the zone whole.
    cover = shapely.buffer(segments, w * 1.01 + 1.0)
    si, bi = shapely.STRtree(buildings).query(cover, predicate="intersects")
    d = shapely.distance(buildings[bi], segments[si])
    # GEOS computes a distance of exactly the width a few ulp off (51.875 → 51.87500000000001):
    # a building counts as inside up to EDGE_TOLERANCE_M beyond the width
    out[bi[d <= w[si] + EDGE_TOLERANCE_M]] = True
    return out


def _stats(
    g: AreaGroups, home: np.ndarray, dwellings: np.ndarray, child: np.ndarray, zone: np.ndarray
) -> dict[str, np.ndarray]:
    return {
        "homes": g.count(home),
        "dwellings": g.sum(dwellings, where=home),
        "homes_in_zone": g.count(home & zone),
        "dwellings_in_zone": g.sum(dwellings, where=home & zone),
        "share_homes_in_zone": g.share(zone, where=home),
        "share_dwellings_in_zone": g.share(zone, weights=dwellings, where=home),
        "children_facilities": g.count(child),
        "children_facilities_in_zone": g.count(child & zone),
        "share_children_facilities_in_zone": g.share(zone, where=child),
    }


def compute(layers: Mapping[str, Layer], params: dict[str, Any], ctx: Context) -> Metrics:
    """Homes, dwellings and children's facilities within each line's zone width."""
    homes = read_homes(layers["buildings"], ctx)
    lines = layers["power_lines"]
    widths, mapped = line_widths(lines, params["indicative_widths"] or [])
    none = ~np.isfinite(widths)
    if none.any():
        ctx.warn(
            "no-zone-width",
            "power_lines",
            f"{int(none.sum())} lines left out: {NO_WIDTH}",
            int(none.sum()),
        )
    if mapped.any():
        ctx.note("widths_from_indicative_widths", int(mapped.sum()))
    elif params["indicative_widths"] and not none.any():
        ctx.warn(
            "input-ignored",
            "indicative_widths",
            "'indicative_widths' was given but not used: every line has its own 'zone_width_m'",
        )
    children = {normalise(f) for f in params["children_functions"]}
    child = np.array([normalise(f) in children for f in homes.layer.text("function")], bool)
    child &= ~homes.mask  # a home is counted as a home
    ctx.progress(0.2, "testing buildings against the zones")
    zone = in_zone(homes.layer.geometries, lines.geometries, widths)
    home, dw = homes.mask, homes.dwellings
    overall = _stats(whole(len(homes)), home, dw, child, zone)
    result = Metrics(overall={k: float(v[0]) for k, v in overall.items()})
    if ctx.groups is not None:
        result.area = _stats(ctx.groups, home, dw, child, zone)
    result.feature = {
        "in_magnetic_field_zone": [
            bool(z) if (h or c) else None for z, h, c in zip(zone, home, child, strict=True)
        ],
        "children_facility": child.tolist(),
    }
    result.outputs["lines"] = {
        "lines": len(lines),
        "with_width": int((~none).sum()),
        "widths_from_table": int(mapped.sum()),
        "without_width": int(none.sum()),
        "zone": f"annual mean magnetic field above {ZONE_UT} µT",
        "advice": ADVICE,
        "note": "the advice concerns new situations; existing homes inside the zone are "
        "reported, not judged",
    }
    return result


METRICS = (
    *HOME_METRICS,
    count_metric(
        "homes_in_zone",
        "Woningen in magneetveldzone",
        "Homes in the magnetic-field zone",
        ("area", "overall"),
    ),
    count_metric(
        "dwellings_in_zone",
        "Wooneenheden in magneetveldzone",
        "Dwellings in the magnetic-field zone",
        ("area", "overall"),
        digits=2,
    ),
    share_metric(
        "share_homes_in_zone",
        "Aandeel woningen in magneetveldzone",
        "Share of homes in the magnetic-field zone",
        "Homes within a line's zone width ÷ homes.",
        scored=True,
    ),
    share_metric(
        "share_dwellings_in_zone",
        "Aandeel wooneenheden in magneetveldzone",
        "Share of dwellings in the magnetic-field zone",
        "The same, by dwellings.",
    ),
    count_metric(
        "children_facilities", "Kindvoorzieningen", "Children's facilities", ("area", "overall")
    ),
    count_metric(
        "children_facilities_in_zone",
        "Kindvoorzieningen in magneetveldzone",
        "Children's facilities in the magnetic-field zone",
        ("area", "overall"),
    ),
    share_metric(
        "share_children_facilities_in_zone",
        "Aandeel kindvoorzieningen in magneetveldzone",
        "Share of children's facilities in the magnetic-field zone",
        "Schools, crèches and childcare (by `function`) in the zone ÷ all of them.",
        scored=True,
    ),
    flag_metric(
        "in_magnetic_field_zone",
        "In magneetveldzone",
        "In the magnetic-field zone",
        "Within `zone_width_m` of a line axis (null: neither home nor children's facility).",
    ),
    metric(
        "children_facility",
        "Kindvoorziening",
        "Children's facility",
        "boolean",
        levels=("feature",),
        description="`function` is one of `children_functions`.",
    ),
)


def _example() -> dict[str, Any]:
    x, y = 121000.0, 487000.0
    return {
        "buildings": rd_collection(
            [
                point_feature(x + 50, y + 30, "h1", dwellings=2),
                point_feature(x + 50, y + 80, "h2", dwellings=1),
                point_feature(x + 150, y + 40, "creche", dwellings=0, function="kinderopvang"),
            ]
        ),
        "power_lines": rd_collection(
            [line_feature([[x, y], [x + 200, y]], "l1", voltage_kv=150, zone_width_m=50)]
        ),
    }


INDICATORS = (
    Indicator(
        id="emf",
        version="1.0.1",
        uses=("external-safety",),
        title={
            "nl": "Magneetvelden van hoogspanningslijnen",
            "en": "Magnetic fields of power lines",
        },
        description={
            "nl": "Woningen, wooneenheden en kindvoorzieningen in de magneetveldzone (0,4 µT "
            "jaargemiddeld) van bovengrondse hoogspanningslijnen; advies VROM 2005.",
            "en": "Homes, dwellings and children's facilities inside the magnetic-field zone "
            "(0.4 µT annual mean) of overhead power lines; VROM advice 2005.",
        },
        theme="emf",
        method=(
            "Each overhead line (`power_lines`, the line axis) has a magnetic-field zone of "
            "`zone_width_m` on either side: the zone where the annual mean field exceeds "
            "0.4 µT (the national advice of 3 October 2005, clarified 4 November 2008). A line "
            "without `zone_width_m` takes the width of its `voltage_kv` (and `configuration`) "
            "from `indicative_widths`, which is empty by default because the RIVM Netkaart "
            "gives a width per line, not per voltage; a line without a width is left out with "
            "a warning. A building is inside the zone when its footprint (or point) lies within "
            "that width of the axis (at exactly the width: inside, with 1 µm for rounding; beyond the line's ends the "
            "zone is round). Children's facilities are buildings whose `function` is in "
            "`children_functions` (schools, crèches, childcare; homes count as homes). Per "
            "neighbourhood (by representative point) and overall: counts and shares (fractions "
            "0–1) of homes, dwellings and children's facilities inside. The advice concerns "
            "new situations: existing homes inside are reported, not judged. Scores 1–10 of "
            "`share_homes_in_zone` (headline) and `share_children_facilities_in_zone` come "
            "from the norm profile (indicative bands)."
        ),
        compute=compute,
        metrics=METRICS,
        features="buildings",
        areas="neighbourhoods",
        inputs=(
            GeoInput(
                "buildings",
                BUILDINGS.title,
                "Homes and other buildings (footprints or points); `function` marks "
                "children's facilities.",
                BUILDINGS.geometry_types,
                ranges={"dwellings": DWELLINGS_RANGE},
                properties={
                    "dwellings": "number of dwellings (default 1; 0 = not a home)",
                    "function": "use of the building, e.g. school, kinderopvang",
                },
            ),
            NEIGHBOURHOODS,
            GeoInput(
                "power_lines",
                "Overhead power lines",
                "Axes of overhead high-voltage lines (e.g. the RIVM Netkaart).",
                LINES,
                ranges=LINE_RANGES,
                properties={
                    "zone_width_m": "zone width on either side of the axis (m)",
                    "voltage_kv": "voltage, for `indicative_widths` when no width is given",
                    "configuration": "configuration, for `indicative_widths` (optional)",
                },
            ),
        ),
        parameters=(
            Parameter(
                "indicative_widths",
                "Indicative zone widths",
                "Rows {voltage_kv, configuration, zone_width_m, source} giving a width to lines "
                "without `zone_width_m`. Empty by default: no width per voltage could be cited "
                "(the RIVM Netkaart gives one per line).",
                "array",
                default=[],
                annotation=list[IndicativeWidth],
                schema={"items": IndicativeWidth.model_json_schema()},
            ),
            Parameter(
                "children_functions",
                "Children's facilities",
                "Values of `function` that mark a children's facility (the advice: schools, "
                "crèches, childcare).",
                "array",
                default=list(DEFAULT_CHILDREN_FUNCTIONS),
                schema={"items": {"type": "string"}},
            ),
        ),
        outputs=(
            Output(
                "lines",
                "Lines",
                "Lines used, widths from the table, lines left out, and the advice.",
            ),
        ),
        norms=(
            Norm(
                "magnetic_field_zone",
                ZONE_UT,
                "µT",
                "Annual mean magnetic field that bounds the zone",
                ADVICE,
            ),
        ),
        sources=(
            Source("VROM advice 2005", ADVICE, ADVICE_URL),
            Source("RIVM Netkaart 2018", NETKAART, NETKAART_URL),
            Source(
                "RIVM Handreiking",
                "RIVM, Handreiking voor het berekenen van de breedte van de magneetveldzone "
                "bij bovengrondse hoogspanningslijnen, version 5.0 of 21 April 2023.",
                HANDREIKING_URL,
            ),
        ),
        keywords=("magneetveld", "hoogspanning", "0,4 microtesla", "EMV", "GGO"),
        example=_example(),
    ),
)
