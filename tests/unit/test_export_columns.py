"""No export loses a property whose name its own columns take (issue 10).

The CSV's own columns are ``id``, ``x``, ``y`` and ``WKT``; GeoPackage's are
``feature_id`` (the feature id) and GDAL's ``fid``/``geom``. A property of such a name
is kept as ``property_<name>``.
"""

from __future__ import annotations

import csv
import io
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
