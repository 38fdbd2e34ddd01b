"""The one assembler: a toy indicator on the metric model, every rule checked by hand."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

import numpy as np
import pytest

from geojson_helpers import box, fc, feature, point
from gsl_indicators.core import run
from gsl_indicators.core.assemble import output_values
from gsl_indicators.core.geo import Layer
from gsl_indicators.core.metrics import FRACTION, Metric, Metrics
from gsl_indicators.core.spec import POINTS, POLYGONS, Context, GeoInput, Indicator, Parameter


def _m(id_: str, unit: str, **kw: Any) -> Metric:
    return Metric(id_, {"nl": id_, "en": id_}, unit, **kw)


def _kernel(layers: Mapping[str, Layer], params: dict[str, Any], ctx: Context) -> Metrics:
    homes = layers["homes"]
    value = homes.number("v")
    near = value <= params["limit"]
    g = ctx.groups
    return Metrics(
        feature={"v_m": value, "near": near},
        area={} if g is None else {"share_near": g.share(near), "homes": g.count()},
        overall={"share_near": float(near.mean()), "homes": len(homes)},
    )


TOY = Indicator(
    id="toy-metrics",
    version="1.0.0",
    title={"nl": "Toy", "en": "Toy"},
    description={"nl": "t", "en": "t"},
    theme="play",
    method="test",
    compute=_kernel,
    inputs=(
        GeoInput("homes", "Homes", "points", POINTS),
        GeoInput("areas", "Areas", "polygons", POLYGONS, required=False),
    ),
    parameters=(Parameter("limit", "Limit", "m", "number", default=100.0, minimum=0.0),),
    metrics=(
        _m("v_m", "m", levels=("feature",), digits=1),
        _m("near", "boolean", levels=("feature",)),
        _m(
            "share_near",
            FRACTION,
            levels=("area", "overall"),
            direction="higher_is_better",
            digits=4,
            scored=True,
        ),
        _m("homes", "count", levels=("area", "overall"), digits=0),
    ),
    features="homes",
    areas="areas",
)
HOMES = fc(
    feature(point(10, 10), "h1", v=50.04),
    feature(point(20, 10), "h2", v=150.0),
    feature(point(30, 10), "h3", v=99.96),
    feature(point(500, 500), "h4", v=10.0),  # in no area
)
AREAS = fc(
    feature(box(0, 0, 25, 50), CBS_Buurtcode="BU01"),
    feature(box(25, 0, 50, 50), "n2"),
    feature(box(100, 100, 150, 150), name="leeg"),
)


def _run(**extra: Any) -> dict[str, Any]:
    return run.execute(TOY, {"homes": HOMES, "areas": AREAS, **extra})


def test_profile_parameters_come_with_a_scored_metric() -> None:
    assert {"profile", "profile_override", "area_type"} <= {p.name for p in TOY.parameters}


def test_results_document_is_qualified_values_with_media_types() -> None:
    doc = _run()
    assert doc["homes"]["mediaType"] == "application/geo+json"
    assert doc["areas"]["mediaType"] == "application/geo+json"
    for name in ("summary", "metrics", "provenance", "data_quality"):
        assert doc[name]["mediaType"] == "application/json"
    assert [m["id"] for m in doc["metrics"]["value"]] == ["v_m", "near", "share_near", "homes"]


def test_features_keep_ids_properties_crs_and_get_area_ids() -> None:
    out = output_values(_run())
    homes = out["homes"]
    assert homes["crs"] == {"type": "name", "properties": {"name": "urn:ogc:def:crs:EPSG::28992"}}
    p = [f["properties"] for f in homes["features"]]
    assert [f["id"] for f in homes["features"]] == ["h1", "h2", "h3", "h4"]
    assert [x["v"] for x in p] == [50.04, 150.0, 99.96, 10.0]  # input properties kept
    assert [x["v_m"] for x in p] == [50.0, 150.0, 100.0, 10.0]  # rounded to 1 digit
    assert [x["near"] for x in p] == [True, False, True, True]
    # area ids: the CBS code, else the feature id; none outside every area
    assert [x["area_id"] for x in p] == ["BU01", "BU01", "n2", None]


def test_areas_flat_scores_and_nulls() -> None:
    out = output_values(_run())
    p = [f["properties"] for f in out["areas"]["features"]]
    # BU01: h1 near, h2 not → 0.5; n2: h3 near → 1.0; the empty area: no homes → null
    assert [x["share_near"] for x in p] == [0.5, 1.0, None]
    assert [x["homes"] for x in p] == [2, 1, 0]
    # a toy indicator has no norms in the profile: no score, but the columns are there
    assert [x["score"] for x in p] == [None, None, None]
    assert all(not isinstance(v, dict | list) for x in p for v in x.values())
    assert out["summary"]["share_near"] == 0.75 and out["summary"]["homes"] == 4
    assert out["summary"]["scorecard"]["note"].startswith("profile 'nl-default' has no norms")


def test_outside_areas_is_a_warning() -> None:
    warnings = output_values(_run())["data_quality"]["warnings"]
    outside = [w for w in warnings if w["code"] == "features-outside-areas"]
    assert outside and outside[0]["count"] == 1 and outside[0]["input"] == "homes"


def test_scores_from_a_profile_override() -> None:
    override = {
        "indicators": {
            "toy-metrics": {
                "headline": "share_near",
                "metrics": {
                    "share_near": {
                        "title": "near",
                        "unit": "fraction",
                        "direction": "higher_is_better",
                        "bands": {"default": {"minimum": 0.5, "ambition": 1.0}},
                    }
                },
            }
        }
    }
    out = output_values(_run(profile_override=override))
    p = [f["properties"] for f in out["areas"]["features"]]
    # 0.5 is the minimum → 6; 1.0 the ambition → 10; overall 0.75 → 6 + 4 × 0.5 = 8
    assert [x["score_share_near"] for x in p] == [6.0, 10.0, None]
    assert [x["score"] for x in p] == [6.0, 10.0, None]
    assert out["summary"]["scorecard"]["score"] == 8.0


def test_without_areas_no_grouping_and_no_area_output() -> None:
    def kernel(layers: Mapping[str, Layer], params: dict[str, Any], ctx: Context) -> Metrics:
        assert ctx.groups is None
        return Metrics(feature={"v_m": layers["homes"].number("v")}, overall={"homes": 4})

    ind = Indicator(**{**_fields(TOY), "compute": kernel})
    out = output_values(run.execute(ind, {"homes": HOMES}))
    assert "areas" not in out and "area_id" not in out["homes"]["features"][0]["properties"]


def test_an_undeclared_metric_is_a_programming_error() -> None:
    def kernel(layers: Mapping[str, Layer], params: dict[str, Any], ctx: Context) -> Metrics:
        return Metrics(overall={"mystery": 1.0})

    ind = Indicator(**{**_fields(TOY), "compute": kernel})
    with pytest.raises(ValueError, match="mystery"):
        run.execute(ind, {"homes": HOMES})


def test_a_column_of_the_wrong_length_is_refused() -> None:
    def kernel(layers: Mapping[str, Layer], params: dict[str, Any], ctx: Context) -> Metrics:
        return Metrics(feature={"v_m": np.zeros(2)})

    ind = Indicator(**{**_fields(TOY), "compute": kernel})
    with pytest.raises(ValueError, match="2 values for 4 features"):
        run.execute(ind, {"homes": HOMES})


def test_wgs84_input_gets_no_crs_member() -> None:
    lonlat = fc(feature(point(4.9, 52.37), "h1", v=1.0), crs=None)
    out = output_values(run.execute(TOY, {"homes": lonlat}))
    assert "crs" not in out["homes"]


def _fields(ind: Indicator) -> dict[str, Any]:
    names = [
        "id",
        "version",
        "title",
        "description",
        "theme",
        "method",
        "compute",
        "inputs",
        "parameters",
        "metrics",
        "features",
        "areas",
    ]
    return {n: getattr(ind, n) for n in names}


def test_metric_templates_declare_request_dependent_names() -> None:
    def templates(params: Mapping[str, Any]) -> tuple[Metric, ...]:
        return tuple(
            _m(f"share_{name}", FRACTION, levels=("overall",), digits=2) for name in params["names"]
        )

    def kernel(layers: Mapping[str, Layer], params: dict[str, Any], ctx: Context) -> Metrics:
        return Metrics(overall={f"share_{n}": 1 / 3 for n in params["names"]})

    fields = {**_fields(TOY), "compute": kernel, "metric_templates": templates}
    fields["parameters"] = (
        *TOY.parameters,
        Parameter("names", "Names", "n", "array", default=["a", "b"]),
    )
    ind = Indicator(**fields)
    out = output_values(run.execute(ind, {"homes": HOMES, "names": ["x"]}))
    assert out["summary"]["share_x"] == 0.33  # 1/3 at the template's 2 digits
    assert "share_x" in [m["id"] for m in out["metrics"]]
    with pytest.raises(ValueError, match="share_a"):  # not declared for this request

        def wrong(layers: Mapping[str, Layer], params: dict[str, Any], ctx: Context) -> Metrics:
            return Metrics(overall={"share_a": 0.5})

        run.execute(Indicator(**{**fields, "compute": wrong}), {"homes": HOMES, "names": ["x"]})


def test_the_scorecard_gives_the_values_as_the_summary_does() -> None:
    # the score is made of the unrounded value; the value shown beside it is the
    # metric's own digits (was 15.256333516012106 beside mean_pm10 15.26), and the
    # unrounded summary analyses read keeps it unrounded
    from gsl_indicators.core.assemble import summary_of
    from gsl_indicators.core.metrics import Metrics
    from gsl_indicators.core.spec import registry

    air = registry().get("air-quality")
    params = air.validate_parameters({})
    result = Metrics(overall={"mean_pm10": 15.256333516012106, "homes": 3})
    shown = summary_of(air, params, result)
    raw = summary_of(air, params, result, rounded=False)
    assert shown["mean_pm10"] == 15.26
    assert shown["scorecard"]["scores"]["mean_pm10"]["value"] == 15.26
    assert raw["scorecard"]["scores"]["mean_pm10"]["value"] == 15.256333516012106
    assert (
        shown["scorecard"]["scores"]["mean_pm10"]["score"]
        == raw["scorecard"]["scores"]["mean_pm10"]["score"]
    )
