"""Reading result documents of both shapes (qualified values with flat scores; bare with nested)."""

from __future__ import annotations

import csv
import io
from typing import Any

from hypothesis import given, settings
from hypothesis import strategies as st

from gsl_service.exports import flat_properties, negotiate, to_csv
from gsl_service.results import area_rows, output_crs, overall_row, score_band, unwrap
from hypothesis_profiles import examples

RD = {"type": "name", "properties": {"name": "urn:ogc:def:crs:EPSG::28992"}}


def _area(fid: str, props: dict[str, Any]) -> dict[str, Any]:
    return {"type": "Feature", "id": fid, "geometry": None, "properties": props}


NEW = {
    "neighbourhoods": {
        "mediaType": "application/geo+json",
        "value": {
            "type": "FeatureCollection",
            "crs": RD,
            "features": [
                _area("BU01", {"name": "Noord", "score": 10.0, "score_play_share": 10.0}),
                _area("BU02", {"name": "Zuid", "score": 2.67, "score_play_share": 2.67}),
            ],
        },
    },
    "summary": {
        "mediaType": "application/json",
        "value": {
            "play_share": 0.025,
            "scorecard": {
                "headline": "play_share",
                "score": 5.17,
                "scores": {"play_share": {"value": 0.025, "score": 5.17}},
            },
        },
    },
}
OLD = {
    "neighbourhoods": {
        "type": "FeatureCollection",
        "features": [
            _area(
                "BU01",
                {
                    "name": "Noord",
                    "score": 10.0,
                    "scorecard": {"scores": {"play_share": {"score": 10.0}}},
                },
            ),
            _area(
                "BU02",
                {
                    "name": "Zuid",
                    "score": 2.67,
                    "scorecard": {"scores": {"play_share": {"score": 2.67}}},
                },
            ),
        ],
    },
    "summary": NEW["summary"]["value"],
    "provenance": {"inputs": {"neighbourhoods": {"crs": "EPSG:28992"}}},
}


def test_both_shapes_give_the_same_scorecard() -> None:
    for doc in (NEW, OLD):
        name, rows = area_rows(doc)
        assert name == "neighbourhoods"
        assert [(r.label, r.scores["play_share"]) for r in rows] == [
            ("Noord (BU01)", 10.0),
            ("Zuid (BU02)", 2.67),
        ]
        overall = overall_row(doc, "Overall")
        assert overall is not None and overall.scores == {"play_share": 5.17}


def test_crs_from_member_or_from_provenance() -> None:
    assert output_crs(NEW, "neighbourhoods") == "EPSG:28992"  # crs member
    assert output_crs(OLD, "neighbourhoods") == "EPSG:28992"  # provenance of the input
    assert output_crs({"x": {"type": "FeatureCollection", "features": []}}, "x") == "OGC:CRS84"


def test_csv_flattens_the_nested_scorecard() -> None:
    rows = list(csv.DictReader(io.StringIO(to_csv(OLD["neighbourhoods"]).decode())))
    assert [r["score_play_share"] for r in rows] == ["10.0", "2.67"]
    assert "scorecard" not in rows[0]


def test_unwrap_keeps_plain_objects() -> None:
    assert unwrap(NEW["summary"])["play_share"] == 0.025
    assert unwrap({"value": 1}) == {"value": 1}


@settings(max_examples=examples(100))
@given(st.floats(min_value=1, max_value=10, allow_nan=False))
def test_score_band_matches_the_ggo_thresholds(score: float) -> None:
    band = score_band(score)
    assert band == ("bad" if score < 6 else "fair" if score < 8 else "good")


@settings(max_examples=examples(100))
@given(
    st.dictionaries(
        st.text(min_size=1, max_size=8),
        st.one_of(
            st.none(), st.booleans(), st.integers(), st.text(max_size=5),
            st.lists(st.integers(), max_size=3),
            st.dictionaries(st.text(max_size=3), st.integers(), max_size=2),
        ),
        max_size=6,
    )
)  # fmt: skip
def test_flat_properties_are_plain(props: dict[str, Any]) -> None:
    flat = flat_properties(props)
    assert all(v is None or isinstance(v, bool | int | float | str) for v in flat.values())


def test_negotiation_prefers_f_then_accept() -> None:
    assert negotiate("gpkg", "text/csv", ["geojson", "csv", "gpkg"]) == "gpkg"
    assert negotiate(None, "application/geopackage+sqlite3", ["geojson", "gpkg"]) == "gpkg"
    assert negotiate(None, "text/html,*/*;q=0.8", ["json"]) is None


def test_the_overall_row_shows_the_metric_as_the_summary_gives_it() -> None:
    # water on the Amsterdam kit: storage ratio 0.001479… (4 digits: 0.0015); the row read
    # "0.001" beside the summary's "0.002" (both three decimals of different numbers)
    doc = {
        "summary": {
            "storage_ratio": 0.0015,
            "scorecard": {
                "score": 1.01,
                "scores": {"storage_ratio": {"value": 0.001479308980408039, "score": 1.01}},
            },
        }
    }
    row = overall_row(doc, "Overall")
    assert row is not None and row.values == {"storage_ratio": 0.0015}
    # a metric the summary does not give keeps the scorecard's own value
    doc["summary"].pop("storage_ratio")
    assert overall_row(doc, "Overall").values == {"storage_ratio": 0.001479308980408039}  # type: ignore[union-attr]
