"""The job page's view of a result in the metric-model shape (qualified values, flat scores)."""

from __future__ import annotations

from types import SimpleNamespace
from typing import Any

from starlette.requests import Request

from gsl_service.web.job_view import job_view
from gsl_service.web.render import Page

RD = {"type": "name", "properties": {"name": "urn:ogc:def:crs:EPSG::28992"}}
PLAY_SHARE = {
    "id": "play_share",
    "title": {"nl": "Aandeel speelruimte", "en": "Play share"},
    "unit": "fraction",
    "levels": ["area", "overall"],
    "direction": "higher_is_better",
    "digits": 4,
    "scored": True,
}


def _page(lang: str) -> Page:
    app = SimpleNamespace(state=SimpleNamespace(settings=SimpleNamespace(base_map_url=None)))
    scope = {
        "type": "http",
        "method": "GET",
        "path": "/jobs/j1",
        "query_string": f"lang={lang}".encode(),
        "headers": [],
        "app": app,
    }
    return Page(Request(scope))


def _nb(fid: str, share: float, score: float) -> dict[str, Any]:
    return {
        "type": "Feature",
        "id": fid,
        "geometry": {"type": "Point", "coordinates": [121000, 487000]},
        "properties": {
            "area_id": fid,
            "play_share": share,
            "score": score,
            "score_play_share": score,
        },
    }


DOC = {
    "neighbourhoods": {
        "mediaType": "application/geo+json",
        "value": {
            "type": "FeatureCollection",
            "crs": RD,
            "features": [_nb("BU01", 0.04, 10.0), _nb("BU02", 0.01, 2.67)],
        },
    },
    "summary": {
        "mediaType": "application/json",
        "value": {
            "play_share": 0.025,
            "scorecard": {
                "profile": "nl-default",
                "headline": "play_share",
                "score": 5.17,
                "scores": {"play_share": {"value": 0.025, "score": 5.17, "unit": "fraction"}},
            },
        },
    },
    "metrics": {"mediaType": "application/json", "value": [PLAY_SHARE]},
    "data_quality": {"mediaType": "application/json", "value": {"warnings": []}},
}


def test_metric_model_result_in_dutch() -> None:
    view = job_view(DOC, None, _page("nl"), "j1")
    assert view.headline == {"score": 5.17, "label": "Aandeel speelruimte"}
    assert [r.label for r in view.score_rows] == ["Geheel", "BU01", "BU02"]
    assert [r.scores["play_share"] for r in view.score_rows] == [5.17, 10.0, 2.67]
    assert view.score_metrics == [
        {"id": "play_share", "label": "Aandeel speelruimte", "unit": "fraction"}
    ]
    # the summary as a person reads it: 0.025 as a fraction is 2,5 %
    assert {r["key"]: r["text"] for r in view.summary} == {"play_share": "2,5 %"}
    (layer,) = view.layers
    assert (layer["name"], layer["count"], layer["crs"]) == ("neighbourhoods", 2, "EPSG:28992")
    assert [m["id"] for m in layer["metrics"]] == ["score", "score_play_share", "play_share"]
    assert view.charts["areas"] == [
        {"label": "BU01", "score": 10.0},
        {"label": "BU02", "score": 2.67},
    ]


def test_metric_model_result_in_english() -> None:
    view = job_view(DOC, None, _page("en"), "j1")
    assert view.headline is not None and view.headline["label"] == "Play share"
    assert view.score_rows[0].label == "Overall"
