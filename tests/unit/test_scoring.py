"""Norm profiles and scores: hand-computed values, fallbacks, overrides, validation."""

from __future__ import annotations

import math

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from gsl_indicators import catalog
from gsl_indicators.core.scoring import (
    AREA_TYPES,
    PROFILE_PARAMETERS,
    Band,
    Profile,
    ScoringRule,
    band_scores,
    deep_merge,
    normalise_area_type,
    resolve_profile,
    scorecard,
)
from gsl_indicators.core.spec import InputError
from hypothesis_profiles import examples

LOWER = "lower_is_better"
HIGHER = "higher_is_better"


def one(value: float, band: Band, direction: str, rule: ScoringRule | None = None) -> float:
    return float(band_scores(np.array([value]), band, direction, rule)[0])  # type: ignore[arg-type]


# ------------------------------------------------------------------ the score rule

# A noise-like band: minimum 53 dB scores 6, ambition 43 dB scores 10, the floor
# (derived: 53 + (53 - 43) = 63 dB) scores 1.
NOISE = Band(minimum=53, ambition=43)


def test_value_at_minimum_scores_six() -> None:
    assert one(53, NOISE, LOWER) == 6.0


def test_value_at_ambition_scores_ten() -> None:
    assert one(43, NOISE, LOWER) == 10.0


def test_between_minimum_and_ambition_is_linear() -> None:
    # 48 dB is halfway from 53 to 43: 6 + 4 * 0.5 = 8
    assert one(48, NOISE, LOWER) == 8.0
    # 50.5 dB: a quarter of the way: 6 + 4 * 0.25 = 7
    assert one(50.5, NOISE, LOWER) == 7.0


def test_beyond_ambition_is_capped_at_ten() -> None:
    assert one(30, NOISE, LOWER) == 10.0


def test_beyond_minimum_falls_to_one_at_the_floor() -> None:
    # derived floor 63 dB; 58 dB is halfway from 53 to 63: 6 - 5 * 0.5 = 3.5
    assert NOISE.effective_floor() == 63
    assert one(58, NOISE, LOWER) == 3.5
    assert one(63, NOISE, LOWER) == 1.0
    assert one(80, NOISE, LOWER) == 1.0


def test_direction_reversed_higher_is_better() -> None:
    # green share: minimum 0.2 → 6, ambition 0.3 → 10, derived floor 0.1 → 1
    green = Band(minimum=0.2, ambition=0.3)
    assert one(0.2, green, HIGHER) == 6.0
    assert one(0.3, green, HIGHER) == 10.0
    assert one(0.25, green, HIGHER) == 8.0
    assert one(0.5, green, HIGHER) == 10.0
    assert one(0.15, green, HIGHER) == 3.5  # 6 - 5 * (0.05 / 0.1)
    assert one(0.0, green, HIGHER) == 1.0


def test_explicit_floor() -> None:
    # storage ratio: minimum 1.0, ambition 1.2, floor 0.0; 0.5 → 1 + 5 * 0.5 = 3.5
    b = Band(minimum=1.0, ambition=1.2, floor=0.0)
    assert one(0.5, b, HIGHER) == 3.5
    assert one(0.0, b, HIGHER) == 1.0


def test_custom_scoring_rule() -> None:
    # a province that scores the legal minimum 5.5: halfway to the ambition is 7.75
    rule = ScoringRule(score_at_minimum=5.5)
    assert one(53, NOISE, LOWER, rule) == 5.5
    assert one(48, NOISE, LOWER, rule) == 7.75
    assert one(58, NOISE, LOWER, rule) == 3.25  # 5.5 - 4.5 * 0.5


def test_nan_has_no_score() -> None:
    assert math.isnan(one(float("nan"), NOISE, LOWER))


@settings(max_examples=examples(60), deadline=None)
@given(
    minimum=st.floats(-1000, 1000),
    width=st.floats(0.01, 500),
    a=st.floats(-3000, 3000),
    b=st.floats(-3000, 3000),
)
def test_lower_is_better_is_monotonic(minimum: float, width: float, a: float, b: float) -> None:
    """A higher value never gives a better score for a lower-is-better metric."""
    band = Band(minimum=minimum, ambition=minimum - width)
    lo, hi = sorted((a, b))
    s_lo, s_hi = one(lo, band, LOWER), one(hi, band, LOWER)
    assert s_hi <= s_lo
    assert 1.0 <= s_hi <= 10.0 and 1.0 <= s_lo <= 10.0


@settings(max_examples=examples(60), deadline=None)
@given(minimum=st.floats(-100, 100), width=st.floats(0.01, 50), x=st.floats(-300, 300))
def test_directions_mirror(minimum: float, width: float, x: float) -> None:
    """Higher-is-better on v equals lower-is-better on -v with the mirrored band."""
    up = Band(minimum=minimum, ambition=minimum + width)
    down = Band(minimum=-minimum, ambition=-minimum - width)
    assert one(x, up, HIGHER) == pytest.approx(one(-x, down, LOWER), abs=1e-6)


# ---------------------------------------------------------------- area types


def test_normalise_area_types() -> None:
    assert normalise_area_type(1) == "1"
    assert normalise_area_type(3.0) == "3"
    assert normalise_area_type("5") == "5"
    assert normalise_area_type("Stedelijk wonen") == "stedelijk-wonen"
    assert normalise_area_type("dorps") == "dorps-wonen"
    assert normalise_area_type("BUITENGEBIED") == "buitengebied"
    assert normalise_area_type(None) is None
    for bad in ("suburb", 6, 0, True, 2.5):
        with pytest.raises(ValueError):
            normalise_area_type(bad)


def test_unknown_area_type_in_scorecard_names_the_input() -> None:
    with pytest.raises(InputError) as err:
        scorecard(resolve_profile({}), "water", {"paved_share": 0.5}, "suburb")
    assert err.value.input_name == "area_type"


def test_bands_per_area_type_and_fallbacks() -> None:
    p = resolve_profile({"profile": "nl-default"})
    # paved_share bands (lower is better): binnenstad 0.9→0.7, stedelijk-wonen 0.7→0.5,
    # dorps-wonen 0.5→0.35, buitengebied 0.2→0.1, default 0.7→0.5
    card = scorecard(p, "water", {"paved_share": 0.8}, "binnenstad")
    s = card["scores"]["paved_share"]
    assert s["band_area_type"] == "binnenstad"
    assert s["score"] == 8.0  # 6 + 4 * (0.9 - 0.8) / 0.2
    # CBS class 1 falls back to binnenstad, class 4 to dorps-wonen, 5 to buitengebied
    assert scorecard(p, "water", {"paved_share": 0.8}, "1")["scores"]["paved_share"]["score"] == 8.0
    s4 = scorecard(p, "water", {"paved_share": 0.5}, "4")["scores"]["paved_share"]
    assert (s4["band_area_type"], s4["score"]) == ("dorps-wonen", 6.0)
    s5 = scorecard(p, "water", {"paved_share": 0.2}, 5)["scores"]["paved_share"]
    assert (s5["band_area_type"], s5["score"]) == ("buitengebied", 6.0)
    # no area type: the default band
    s0 = scorecard(p, "water", {"paved_share": 0.7}, None)["scores"]["paved_share"]
    assert (s0["band_area_type"], s0["score"]) == ("default", 6.0)
    # a metric without per-type bands uses its default band for every type
    sr = scorecard(p, "water", {"storage_ratio": 1.1}, "binnenstad")["scores"]["storage_ratio"]
    assert (sr["band_area_type"], sr["score"]) == ("default", 8.0)


def test_default_area_type_of_profile() -> None:
    p = resolve_profile({"profile": "ggo-utrecht-example"})
    assert p.default_area_type == "stedelijk-wonen"
    s = scorecard(p, "water", {"paved_share": 0.5}, None)["scores"]["paved_share"]
    # ggo example: stedelijk-wonen 0.6 → 0.4; 0.5 is halfway: 8
    assert (s["band_area_type"], s["score"]) == ("stedelijk-wonen", 8.0)


# ----------------------------------------------------------------- scorecards


def test_scorecard_shape() -> None:
    p = resolve_profile({})
    card = scorecard(
        p, "water", {"storage_ratio": 0.5, "paved_share": None, "deficit_m3": 12.0}, "2"
    )
    assert card["profile"] == "nl-default"
    assert card["area_type"] == "2"
    assert set(card["scores"]) == {"storage_ratio", "paved_share"}
    sr = card["scores"]["storage_ratio"]
    assert sr == {
        "value": 0.5,
        "score": 3.5,  # explicit floor 0: 1 + 5 * 0.5
        "band": {"minimum": 1.0, "ambition": 1.2, "floor": 0.0},
        "band_area_type": "default",
        "direction": "higher_is_better",
        "unit": "ratio",
    }
    assert card["scores"]["paved_share"]["score"] is None
    assert card["unscored"] == ["deficit_m3"]
    assert card["headline"] == "storage_ratio" and card["score"] == 3.5


def test_scorecard_for_indicator_without_norms() -> None:
    card = scorecard(resolve_profile({}), "no-such-indicator", {"x": 1.0})
    assert card["scores"] == {} and card["unscored"] == ["x"] and "note" in card


# ------------------------------------------------------------------ overrides


def test_partial_override_deep_merges() -> None:
    override = {
        "indicators": {
            "water": {"metrics": {"paved_share": {"bands": {"binnenstad": {"minimum": 0.95}}}}}
        }
    }
    p = resolve_profile({"profile": "nl-default", "profile_override": override})
    assert p.name == "nl-default+override" and p.based_on == "nl-default"
    norm = p.metric("water", "paved_share")
    assert norm is not None
    assert norm.bands["binnenstad"] == Band(minimum=0.95, ambition=0.7)  # ambition kept
    assert norm.bands["stedelijk-wonen"] == Band(minimum=0.7, ambition=0.5)  # untouched
    # everything else is the named profile's
    base = resolve_profile({})
    assert p.indicators["soil"] == base.indicators["soil"]
    # 0.85 in binnenstad: 6 + 4 * (0.95 - 0.85) / (0.95 - 0.7) = 7.6
    assert scorecard(p, "water", {"paved_share": 0.85}, "binnenstad")["scores"]["paved_share"][
        "score"
    ] == pytest.approx(7.6)
    # the result shows the profile actually used
    shown = p.to_dict(indicator="water")
    assert shown["indicators"]["water"]["metrics"]["paved_share"]["bands"]["binnenstad"] == {
        "minimum": 0.95,
        "ambition": 0.7,
        "floor": None,
    }
    assert list(shown["indicators"]) == ["water"]


def test_override_new_area_band_inherits_from_default() -> None:
    # soil contaminated share has only a default band (0.05 → 0.0, floor 0.25);
    # a municipality sets a stricter minimum for village housing only.
    override = {
        "name": "nieuwegein-2025",
        "indicators": {
            "soil": {
                "metrics": {
                    "share_homes_on_contaminated_soil": {
                        "bands": {"dorps-wonen": {"minimum": 0.02}}
                    }
                }
            }
        },
    }
    p = resolve_profile({"profile_override": override})
    assert p.name == "nieuwegein-2025"
    norm = p.metric("soil", "share_homes_on_contaminated_soil")
    assert norm is not None
    # minimum given, ambition inherited from default; the floor is not inherited
    assert norm.bands["dorps-wonen"] == Band(minimum=0.02, ambition=0.0)
    assert norm.bands["default"].floor == 0.25


def test_override_null_deletes_a_band() -> None:
    override = {
        "indicators": {"water": {"metrics": {"paved_share": {"bands": {"binnenstad": None}}}}}
    }
    p = resolve_profile({"profile_override": override})
    norm = p.metric("water", "paved_share")
    assert norm is not None and "binnenstad" not in norm.bands
    # CBS 1 now falls through binnenstad to the default band
    s = scorecard(p, "water", {"paved_share": 0.7}, "1")["scores"]["paved_share"]
    assert s["band_area_type"] == "default"


def test_override_can_add_an_indicator_and_change_the_rule() -> None:
    override = {
        "scoring": {"score_at_minimum": 5.5},
        "indicators": {
            "heat-custom": {
                "metrics": {
                    "hot_nights": {
                        "direction": "lower_is_better",
                        "bands": {"default": {"minimum": 20, "ambition": 5}},
                    }
                }
            }
        },
    }
    p = resolve_profile({"profile_override": override})
    s = scorecard(p, "heat-custom", {"hot_nights": 20}, None)["scores"]["hot_nights"]
    assert s["score"] == 5.5


@pytest.mark.parametrize(
    ("override", "path"),
    [
        (
            {
                "indicators": {
                    "water": {"metrics": {"paved_share": {"bands": {"default": {"ambition": 0.9}}}}}
                }
            },
            "indicators.water.metrics.paved_share",
        ),
        (
            {"indicators": {"water": {"metrics": {"paved_share": {"bands": {"suburb": {}}}}}}},
            "bands.suburb: unknown area type",
        ),
        (
            {"indicators": {"water": {"metrics": {"paved_share": {"direction": "sideways"}}}}},
            "indicators.water.metrics.paved_share.direction",
        ),
        (
            {
                "indicators": {
                    "water": {"metrics": {"paved_share": {"bands": {"default": {"minimum": "x"}}}}}
                }
            },
            "indicators.water.metrics.paved_share.bands.default.minimum",
        ),
        (
            {"indicators": {"water": {"metrics": {"x": {"bandz": {}}}}}},
            "indicators.water.metrics.x",
        ),
        ({"scoring": {"score_at_floor": 7}}, "scoring"),
        ({"area_types": {"1": {"fallback": "1"}}}, "fallback chain loops"),
    ],
)
def test_bad_override_names_input_and_path(override: dict, path: str) -> None:
    with pytest.raises(InputError) as err:
        resolve_profile({"profile": "nl-default", "profile_override": override})
    assert err.value.input_name == "profile_override"
    assert path in err.value.reason


def test_override_must_be_an_object() -> None:
    with pytest.raises(InputError) as err:
        resolve_profile({"profile_override": [1, 2]})
    assert err.value.input_name == "profile_override"


def test_unknown_profile_names_the_input() -> None:
    with pytest.raises(InputError) as err:
        resolve_profile({"profile": "atlantis"})
    assert err.value.input_name == "profile"
    assert "nl-default" in err.value.reason


def test_deep_merge_does_not_mutate() -> None:
    base = {"a": {"b": 1}}
    out = deep_merge(base, {"a": {"c": 2}})
    assert base == {"a": {"b": 1}} and out == {"a": {"b": 1, "c": 2}}


# -------------------------------------------------------------- the catalog


@pytest.mark.parametrize("name", ["nl-default", "ggo-utrecht-example"])
def test_catalog_profiles_validate_and_round_trip(name: str) -> None:
    p = resolve_profile({"profile": name})
    assert p.name == name
    assert Profile.model_validate(p.to_dict()) == p
    for ind in p.indicators.values():
        for norm in ind.metrics.values():
            assert "default" in norm.bands
            assert norm.source, "every metric cites where its band comes from"


def test_catalog_lists_both_profiles() -> None:
    assert {"nl-default", "ggo-utrecht-example"} <= set(catalog.profile_names())


def test_example_profile_is_clearly_labelled() -> None:
    p = resolve_profile({"profile": "ggo-utrecht-example"})
    assert p.example is True
    assert p.notice and "example" in p.notice.lower()
    assert p.title and "VOORBEELD" in p.title
    assert resolve_profile({}).example is False


def test_nl_default_uses_domain_figures() -> None:
    p = resolve_profile({})

    def band(ind: str, metric: str, key: str = "default") -> Band:
        norm = p.metric(ind, metric)
        assert norm is not None
        return norm.bands[key]

    # WHO 2021 AQG as ambition, legal limit values as minimum
    assert band("air-quality", "mean_no2") == Band(minimum=40, ambition=10)
    assert band("air-quality", "mean_pm25") == Band(minimum=25, ambition=5)
    assert band("air-quality", "mean_pm10") == Band(minimum=40, ambition=15)
    # 3-30-300: 30 % canopy; 75 m² green per dwelling; 3 % play space; 85 % parking
    assert band("green-3-30-300", "canopy_share").ambition == 0.3
    assert band("green-per-dwelling", "green_per_dwelling_m2").minimum == 75
    assert band("play-space", "play_share").minimum == 0.03
    assert band("parking-pressure", "pressure").minimum == 0.85


def test_profile_parameters_validate_through_an_indicator() -> None:
    from gsl_indicators.core.spec import registry

    water = registry().get("water")
    names = [p.name for p in PROFILE_PARAMETERS]
    assert names == ["profile", "profile_override", "area_type"]
    params = water.validate_parameters(
        {"area_type": "binnenstad", "profile": "ggo-utrecht-example"}
    )
    assert params["profile"] == "ggo-utrecht-example" and params["profile_override"] is None
    assert water.validate_parameters({})["profile"] == "nl-default"
    for bad in ({"profile": "atlantis"}, {"area_type": "suburb"}, {"profile_override": 3}):
        with pytest.raises(InputError) as err:
            water.validate_parameters(bad)
        assert err.value.input_name == next(iter(bad))
    schema = water.describe()["inputs"]["area_type"]["schema"]
    assert set(AREA_TYPES) <= set(schema["enum"])


def test_every_profile_using_indicator_has_norms() -> None:
    """Every registered indicator that takes a `profile` has norms in both profiles."""
    from gsl_indicators.core.spec import registry

    # housing-capacity has no norms of its own: it shows its constraints' norms
    # (parking-pressure, green-per-dwelling, proximity-facilities), checked here too;
    # ggo-light scores its rules with the bands of the full indicators they stand in for
    borrowers = {"housing-capacity", "ggo-light"}
    users = [
        ind.id
        for ind in registry()
        if any(p.name == "profile" for p in ind.parameters) and ind.id not in borrowers
    ]
    assert "water" in users and "soil" in users
    assert {"parking-pressure", "green-per-dwelling", "proximity-facilities"} <= set(users)
    for name in catalog.profile_names():
        p = resolve_profile({"profile": name})
        missing = [i for i in users if i not in p.indicators]
        assert not missing, f"profile {name} has no norms for {missing}"
