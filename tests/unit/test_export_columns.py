"""No export loses a property whose name its own columns take (issue 10).

The CSV's own columns are ``id``, ``x``, ``y`` and ``WKT``; GeoPackage's are
``feature_id`` (the feature id) and GDAL's ``fid``/``geom``. A property of such a name
is kept as ``property_<name>``.
"""

from __future__ import annotations

import csv
import io
import math
from pathlib import Path
from typing import Any

import pyogrio
from hypothesis import given, settings
from hypothesis import strategies as st

from gsl_service.exports import CSV_COLUMNS, to_csv, to_gpkg
from hypothesis_profiles import examples


def _point_fc(props: dict[str, Any], fid: str = "F1") -> dict[str, Any]:
    return {
        "type": "FeatureCollection",
        "features": [
            {
                "type": "Feature",
                "id": fid,
                "geometry": {"type": "Point", "coordinates": [121000.0, 487000.0]},
                "properties": props,
            }
        ],
    }


def _csv_rows(fc: dict[str, Any]) -> list[dict[str, str]]:
    return list(csv.DictReader(io.StringIO(to_csv(fc).decode("utf-8"))))


def test_csv_keeps_properties_named_like_its_own_columns() -> None:
    fc = _point_fc({"id": "P-9", "x": 3, "y": 4, "WKT": "mine", "score": 7.5})
    (row,) = _csv_rows(fc)
    # The export's own columns keep their meaning: the feature id and the point itself.
    assert (row["id"], row["x"], row["y"]) == ("F1", "121000.0", "487000.0")
    assert row["WKT"] == "POINT (121000 487000)"
    # ... and every property is still there, under property_<name>.
    assert (row["property_id"], row["property_x"], row["property_y"]) == ("P-9", "3", "4")
    assert row["property_WKT"] == "mine" and row["score"] == "7.5"


def test_a_renamed_property_does_not_overwrite_one_already_so_named() -> None:
    (row,) = _csv_rows(_point_fc({"id": 1, "property_id": 2}))
    assert (row["property_property_id"], row["property_id"]) == ("1", "2")


def test_geopackage_keeps_feature_id_and_gdal_reserved_names(tmp_path: Path) -> None:
    fc = _point_fc({"feature_id": "mine", "fid": 5, "geom": "g", "n": 1})
    path = tmp_path / "t.gpkg"
    path.write_bytes(to_gpkg(fc, "EPSG:28992", "layer"))
    meta, _, _, fields = pyogrio.raw.read(path)
    got = dict(zip(list(meta["fields"]), [f.tolist()[0] for f in fields], strict=True))
    assert got == {
        "property_feature_id": "mine",
        "property_fid": 5,
        "property_geom": "g",
        "n": 1,
        "feature_id": "F1",
    }


@settings(max_examples=examples(40), deadline=None)
@given(
    names=st.lists(
        st.sampled_from([*CSV_COLUMNS, "property_id", "property_x", "wkt", "a", "b"]),
        unique=True,
        max_size=8,
    )
)
def test_every_csv_property_value_survives(names: list[str]) -> None:
    props = {name: f"v{i}" for i, name in enumerate(names)}
    (row,) = _csv_rows(_point_fc(props))
    # Each property value appears exactly once among the non-export columns.
    own = {c: row.pop(c) for c in CSV_COLUMNS}
    assert own["id"] == "F1"
    assert sorted(row.values()) == sorted(props.values())
    assert len(row) == len(props)


# --- the column-wise table against the row-wise rule it replaced -------------------
#
# ``_table`` fills columns as it reads the features (no row dicts) and converts
# geometries a step at a time. The reference below is the earlier, row-wise road,
# written out plainly: flatten each feature's properties, rename clashing names,
# append ``feature_id`` to each row, take the columns in order of first appearance.


def _reference_table(fc: dict[str, Any], reserved_extra: tuple[str, ...]) -> Any:
    from gsl_service.exports import _clash_names, _typed, flat_properties

    feats = fc["features"]
    has_ids = any(f.get("id") is not None for f in feats)
    reserved = ("fid", "geom", "geometry", *reserved_extra, *(("feature_id",) if has_ids else ()))
    rows = [flat_properties(f.get("properties")) for f in feats]
    renamed = _clash_names(list(dict.fromkeys(k for row in rows for k in row)), reserved)
    rows = [{renamed.get(k, k): v for k, v in row.items()} for row in rows]
    for feat, row in zip(feats, rows, strict=True):
        if feat.get("id") is not None:
            row["feature_id"] = feat["id"]
    cols: list[str] = []
    for row in rows:
        cols += [k for k in row if k not in cols]
    return cols, [_typed([row.get(c) for row in rows]).tolist() for c in cols]


_values = st.one_of(
    st.none(),
    st.booleans(),
    st.integers(-(2**70), 2**70),
    st.floats(allow_nan=False, allow_infinity=False),
    st.text(max_size=3),
    st.lists(st.integers(0, 3), max_size=2),
)
_feature = st.fixed_dictionaries(
    {
        "properties": st.dictionaries(
            st.sampled_from(["a", "b", "fid", "geom", "feature_id", "property_fid", "bbox"]),
            _values,
            max_size=5,
        ),
        "id": st.one_of(st.none(), st.integers(0, 9), st.text(max_size=2)),
        "geometry": st.one_of(
            st.none(),
            st.tuples(st.floats(-1e6, 1e6), st.floats(-1e6, 1e6)).map(
                lambda xy: {"type": "Point", "coordinates": list(xy)}
            ),
            st.tuples(st.floats(0, 100), st.floats(0, 100)).map(
                lambda xy: {
                    "type": "Polygon",
                    "coordinates": [
                        [
                            [xy[0], xy[1]],
                            [xy[0] + 1, xy[1]],
                            [xy[0] + 1, xy[1] + 1],
                            [xy[0], xy[1]],
                        ]
                    ],
                }
            ),
        ),
    }
)


def _same(a: list[Any], b: list[Any]) -> bool:
    return len(a) == len(b) and all(
        (x != x and y != y) or (x == y and type(x) is type(y)) for x, y in zip(a, b, strict=True)
    )


@settings(max_examples=examples(60), deadline=None)
@given(
    feats=st.lists(_feature, max_size=7),
    step=st.integers(1, 4),
    also=st.sampled_from([(), ("bbox",)]),
)
def test_table_columns_equal_the_row_wise_rule(
    feats: list[dict[str, Any]], step: int, also: tuple[str, ...]
) -> None:
    import numpy as np
    import shapely

    from gsl_service.exports import _table

    fc = {"type": "FeatureCollection", "features": [{"type": "Feature", **f} for f in feats]}
    table = _table(fc, also=also, step=step)
    names, columns = _reference_table(fc, also)
    assert table.names == names
    for got, want in zip(table.data, columns, strict=True):
        assert _same(got.tolist(), want)
    # geometries: the same shapes as read one by one, boxes and types alike
    one_by_one = [
        None if f["geometry"] is None else shapely.geometry.shape(f["geometry"]) for f in feats
    ]
    assert [w is not None for w in table.wkb] == [g is not None for g in one_by_one]
    assert table.present.tolist() == [g is not None for g in one_by_one]
    for wkb, geom, box in zip(table.wkb, one_by_one, table.bounds, strict=True):
        if geom is None:
            assert wkb is None and np.isnan(box).all()
        else:
            assert shapely.equals_exact(shapely.from_wkb(wkb), geom, tolerance=0)
            assert box.tolist() == list(geom.bounds)
    kinds = list(dict.fromkeys(g.geom_type for g in one_by_one if g is not None))
    assert table.kinds == kinds


@settings(max_examples=examples(50))
@given(
    words=st.lists(st.one_of(st.none(), st.text(max_size=4)), min_size=1, max_size=8),
    number=st.one_of(st.integers(-5, 5), st.floats(-2, 2), st.booleans()),
)
def test_a_column_of_words_keeps_them_and_a_mixed_one_writes_them(words, number) -> None:
    # words (and nulls) stay as they are; a column mixing words and numbers becomes
    # text throughout, nulls kept: what GDAL gets as a string field
    from gsl_service.exports import _typed

    got = _typed(words)
    assert got.dtype == object and got.tolist() == words
    if any(w is not None for w in words):
        mixed = _typed([*words, number])
        assert mixed.dtype == object
        assert mixed.tolist() == [*words, str(number)]


_NUMBERS = st.one_of(
    st.lists(
        st.floats(-1e15, 1e15) | st.sampled_from([math.nan, math.inf, -math.inf, -0.0]), max_size=8
    ),
    st.lists(st.floats(-1e6, 1e6), max_size=8),
    st.lists(st.floats(-1e20, 1e20) | st.sampled_from([2.0**63, -(2.0**63), math.nan]), max_size=8),
    st.lists(st.integers(-(2**40), 2**40), max_size=8),
    st.lists(st.booleans(), max_size=8),
    st.lists(st.booleans() | st.none(), max_size=8),
)


@settings(max_examples=examples(200))
@given(values=_NUMBERS, digits=st.integers(-1, 3), as_list=st.booleans())
def test_a_metrics_typed_array_is_the_table_column_its_values_give(values, digits, as_list) -> None:
    # the array the assembler keeps beside a metric's column (given as an array, or a
    # kernel's list of flags) is exactly what an export makes of the column's JSON
    # values (dtype and every value, NaN where None)
    import numpy as np

    from gsl_indicators.core.metrics import round_values, rounded_column
    from gsl_service.exports import _flat_column, _typed

    given_as = values if as_list else np.asarray(values)
    listed, typed = rounded_column(given_as, digits)
    assert listed == round_values(given_as, digits)
    flat = _flat_column("m", listed)
    assert flat is not None
    want = _typed(*flat)
    if typed is None:  # nothing typed ahead: no value at all, or an object array
        assert all(v is None for v in listed) or (not as_list and None in values)
        return
    assert typed.dtype == want.dtype
    assert typed.shape == want.shape
    # nulls where the JSON has None: masked (flags, integers) or NaN (floats), alike
    assert np.array_equal(np.ma.getmaskarray(typed), np.ma.getmaskarray(want))
    # and every value the JSON's, a null where it has None; the export's the same
    assert [None if v is None or v != v else v for v in typed.tolist()] == listed
    assert [None if v is None or v != v else v for v in want.tolist()] == listed


def test_flags_and_counts_with_nulls_are_nullable_fields_in_every_file(tmp_path: Path) -> None:
    # A home outside the canopy tile has no 30 % flag and no count: GDAL (FlatGeobuf,
    # GeoPackage) and Arrow (GeoParquet) get a boolean and an integer field with a null
    # there, not text ("False") or floats; read back with GDAL itself and with pyarrow.
    import pyarrow.parquet as pq

    from gsl_service.exports import FORMATS, export

    meets = [True, None, False, True]
    trees = [3, None, 0, 7]
    dist = [1.5, None, 2.0, 3.25]
    fc = {
        "type": "FeatureCollection",
        "features": [
            {
                "type": "Feature",
                "geometry": {"type": "Point", "coordinates": [121000.0 + i, 487000.0]},
                "properties": {"home": f"h{i}", "meets_30": m, "trees": t, "dist": d},
            }
            for i, (m, t, d) in enumerate(zip(meets, trees, dist, strict=True))
        ],
    }
    want = {f"h{i}": (m, t, d) for i, (m, t, d) in enumerate(zip(meets, trees, dist, strict=True))}
    for name in ("flatgeobuf", "gpkg"):
        fmt = FORMATS[name]
        path = tmp_path / f"homes.{fmt.extension}"
        path.write_bytes(export(fc, fmt, "EPSG:28992", "homes"))
        info = pyogrio.read_info(path)
        types = dict(zip(info["fields"].tolist(), info["dtypes"].tolist(), strict=True))
        assert types == {"home": "object", "meets_30": "bool", "trees": "int64", "dist": "float64"}
        table = pyogrio.read_arrow(path)[1]
        rows = zip(
            *(table.column(c).to_pylist() for c in ("home", "meets_30", "trees", "dist")),
            strict=True,
        )
        assert {h: (m, t, d) for h, m, t, d in rows} == want, name  # FlatGeobuf reorders
    parquet = tmp_path / "homes.parquet"
    parquet.write_bytes(export(fc, FORMATS["geoparquet"], "EPSG:28992", "homes"))
    table = pq.read_table(parquet)
    assert [str(table.schema.field(c).type) for c in ("meets_30", "trees", "dist")] == [
        "bool",
        "int64",
        "double",
    ]
    assert table.column("meets_30").to_pylist() == meets
    assert table.column("trees").to_pylist() == trees
    assert table.column("dist").to_pylist() == dist


def test_flatgeobuf_of_a_layer_with_a_feature_without_geometry() -> None:
    """GDAL refuses a feature without geometry in a FlatGeobuf spatial index; such a layer has none."""
    import pyogrio

    from gsl_service.exports import FORMATS, export

    fc = {
        "type": "FeatureCollection",
        "features": [
            {"type": "Feature", "geometry": None, "properties": {"a": 1}},
            {"type": "Feature", "geometry": {"type": "Point", "coordinates": [5.0, 52.0]}, "properties": {"a": 2}},
        ],
    }  # fmt: skip
    frame = pyogrio.read_dataframe(
        io.BytesIO(export(fc, FORMATS["flatgeobuf"], "EPSG:28992", "homes"))
    )
    assert frame["a"].tolist() == [1, 2]  # no index: the collection's order
    assert frame.geometry.isna().tolist() == [True, False]
    assert pyogrio.read_info(io.BytesIO(export(fc, FORMATS["flatgeobuf"], "EPSG:28992", "homes")))["capabilities"]["fast_spatial_filter"] is False  # fmt: skip
    placed = fc | {"features": fc["features"][1:]}
    info = pyogrio.read_info(
        io.BytesIO(export(placed, FORMATS["flatgeobuf"], "EPSG:28992", "homes"))
    )
    assert info["capabilities"]["fast_spatial_filter"] is True  # indexed
