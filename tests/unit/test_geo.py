"""GeoJSON parsing: vectorised geometry building, CRS detection, repair, drops."""

from __future__ import annotations

import numpy as np
import pytest
import shapely
from hypothesis import given, settings
from hypothesis import strategies as st

from geojson_helpers import box, fc, feature, line, point
from gsl_indicators.core.geo import (
    RD_NEW,
    WGS84,
    detect_crs,
    feature_collection,
    from_coordinates,
    parse_layer,
    read_layers,
)
from gsl_indicators.core.spec import ANY_GEOMETRY, POLYGONS, Context, GeoInput, InputError
from hypothesis_profiles import examples

ANY = GeoInput("layer", "Layer", "any geometry", ANY_GEOMETRY)
POLYS = GeoInput("polys", "Polygons", "polygons", POLYGONS)


def test_ragged_builders_match_the_geojson_reader() -> None:
    geoms = [
        {"type": "LineString", "coordinates": [[0, 0], [3, 4]]},
        {
            "type": "Polygon",
            "coordinates": [
                [[0, 0], [4, 0], [4, 4], [0, 4], [0, 0]],
                [[1, 1], [2, 1], [2, 2], [1, 2], [1, 1]],
            ],
        },
        {"type": "MultiLineString", "coordinates": [[[0, 0], [1, 0]], [[5, 5], [5, 7]]]},
        {
            "type": "MultiPolygon",
            "coordinates": [
                [[[0, 0], [1, 0], [1, 1], [0, 1], [0, 0]]],
                [[[10, 10], [12, 10], [12, 12], [10, 12], [10, 10]]],
            ],
        },
    ]
    given = fc(*(feature(g) for g in geoms))  # placed at RD_ORIGIN: same lengths and areas
    layer = parse_layer(ANY, given, RD_NEW)
    # lengths and areas by hand: 5; 16 - 1 = 15; 1 + 2 = 3; 1 + 4 = 5
    assert shapely.length(layer.geometries[0]) == 5.0
    assert shapely.area(layer.geometries[1]) == 15.0
    assert shapely.length(layer.geometries[2]) == 3.0
    assert shapely.area(layer.geometries[3]) == 5.0
    reader = shapely.from_geojson(
        np.array([__import__("json").dumps(f["geometry"]) for f in given["features"]])
    )
    assert shapely.equals_exact(layer.geometries, reader, 0).all()


def test_3d_coordinates_fall_back_to_the_reader() -> None:
    g = {"type": "LineString", "coordinates": [[0, 0, 1], [0, 2, 1]]}
    layer = parse_layer(ANY, fc(feature(g), feature(line((0, 0), (1, 0)))), RD_NEW)
    assert shapely.length(layer.geometries).tolist() == [2.0, 1.0]


def test_unclosed_ring_is_closed_and_a_degenerate_ring_is_a_named_error() -> None:
    open_ring = {"type": "Polygon", "coordinates": [[[0, 0], [1, 0], [1, 1]]]}
    layer = parse_layer(POLYS, fc(feature(open_ring)), RD_NEW)
    assert shapely.area(layer.geometries[0]) == 0.5  # closed back to (0, 0): half a unit square
    bad = {"type": "Polygon", "coordinates": [[[0, 0], [1, 0]]]}
    with pytest.raises(InputError) as err:
        parse_layer(POLYS, fc(feature(bad)), RD_NEW)
    assert err.value.input_name == "polys"


@pytest.mark.parametrize("kind", [{}, [], 3, None])
def test_a_geometry_type_that_is_not_a_string_is_a_named_error(kind) -> None:
    # found by schemathesis: {"type": {}} was a TypeError (unhashable dict), a 500
    bad = {
        "type": "FeatureCollection",
        "features": [{"type": "Feature", "geometry": {"type": kind}}],
    }
    with pytest.raises(InputError, match="geometry 'type' must be a string") as err:
        parse_layer(ANY, bad, RD_NEW)
    assert err.value.input_name == "layer"


def test_not_a_feature_collection() -> None:
    with pytest.raises(InputError, match="FeatureCollection"):
        parse_layer(ANY, {"type": "Feature"}, RD_NEW)
    with pytest.raises(InputError, match="feature 1"):
        parse_layer(
            ANY, {"type": "FeatureCollection", "features": [feature(point(0, 0)), 3]}, RD_NEW
        )


def test_drops_and_repairs_are_counted() -> None:
    bowtie = {"type": "Polygon", "coordinates": [[[0, 0], [2, 2], [2, 0], [0, 2], [0, 0]]]}
    ctx = Context()
    layer = parse_layer(
        POLYS,
        fc(
            feature(box(0, 0, 1, 1), "a"),
            feature(None, "b"),
            feature(point(1, 1), "c"),
            feature(bowtie, "d"),
        ),
        RD_NEW,
        ctx=ctx,
    )
    assert [f["id"] for f in layer.features] == ["a", "d"]
    assert layer.index.tolist() == [0, 3]
    # the bow-tie becomes two triangles of area 1 each
    assert shapely.area(layer.geometries[1]) == pytest.approx(2.0)
    codes = sorted(w["code"] for w in ctx.warnings)
    assert codes == ["features-dropped", "features-dropped", "geometries-repaired"]
    assert ctx.notes["repaired"] == {"polys": 1}


def test_crs_detection() -> None:
    assert detect_crs("x", fc(feature(point(121000, 487000)))) == RD_NEW
    assert detect_crs("x", fc(feature(point(4.9, 52.37)), crs=None)) == WGS84
    ctx = Context()
    assert detect_crs("x", fc(feature(point(121000, 487000)), crs=None), ctx) == RD_NEW
    assert ctx.warnings[0]["code"] == "crs-assumed"
    with pytest.raises(InputError):
        detect_crs(
            "x",
            fc(feature(point(1, 1)), crs={"type": "name", "properties": {"name": "EPSG:999999"}}),
        )


def test_wgs84_layers_are_reprojected_to_rd() -> None:
    # The Amersfoort origin of RD New: 52.15517 N, 5.38721 E -> (155000, 463000)
    ctx = Context()
    layers, crs = read_layers(
        [ANY], {"layer": fc(feature(point(5.38721, 52.15517)), crs=None)}, ctx
    )
    assert crs == RD_NEW
    p = layers["layer"].geometries[0]
    assert (round(p.x), round(p.y)) == (155000, 463000)
    assert ctx.notes["reprojected"] == {"layer": {"from": WGS84, "to": RD_NEW}}


def test_outside_the_netherlands_uses_utm() -> None:
    _, crs = read_layers([ANY], {"layer": fc(feature(point(13.4, 52.52)), crs=None)})
    assert crs == "EPSG:32633"  # Berlin lies in UTM zone 33N


def test_feature_collection_keeps_ids_and_properties() -> None:
    layer = parse_layer(
        ANY, fc(feature(point(0, 0), 7, name="x"), feature(point(1, 1), name="y")), RD_NEW
    )
    out = feature_collection(layer, {"value": np.array([1.5, np.nan])})
    assert out["features"][0]["id"] == 7
    assert out["features"][0]["properties"] == {"name": "x", "value": 1.5}
    assert "id" not in out["features"][1]
    assert out["features"][1]["properties"] == {"name": "y", "value": None}


@settings(max_examples=examples(40), deadline=None)
@given(
    st.lists(
        st.tuples(
            st.floats(-1e5, 1e5), st.floats(-1e5, 1e5), st.floats(0.5, 500), st.floats(0.5, 500)
        ),
        min_size=1,
        max_size=20,
    )
)
def test_ragged_polygons_equal_reader_polygons(
    boxes: list[tuple[float, float, float, float]],
) -> None:
    coords = [box(x, y, x + w, y + h)["coordinates"] for x, y, w, h in boxes]
    fast = from_coordinates("Polygon", coords)
    slow = shapely.polygons([c[0] for c in coords])
    assert shapely.equals_exact(fast, slow, 0).all()
