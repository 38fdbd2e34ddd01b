"""Counts in words: the singular for exactly one, in warnings and page texts."""

from __future__ import annotations

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from geojson_helpers import box, fc, feature, point
from gsl_indicators.core.spec import InputError, registry
from gsl_indicators.core.wording import counted
from gsl_service.web.i18n import translator
from hypothesis_profiles import examples
from results import execute


@settings(max_examples=examples(100), deadline=None)
@given(st.integers(min_value=0, max_value=10**6))
def test_counted_is_singular_for_one_only(n: int) -> None:
    text = counted(n, "home lies", "homes lie")
    assert text == (f"{n} home lies" if n == 1 else f"{n} homes lie")


def test_page_texts_have_a_singular() -> None:
    for lang, one, many in [("nl", "object", "objecten"), ("en", "feature", "features")]:
        t = translator(lang)
        assert (t("features", 1), t("features", 0), t("features", 7)) == (one, many, many)
    assert translator("en")("homes_3_30_300", 1) == "home newly meeting 3-30-300"
    assert translator("nl")("homes_3_30_300", 1) == "woning die nieuw aan 3-30-300 voldoet"


def _negative_dwellings(dwellings: list[int]) -> str:
    # green-3-30-300 on one neighbourhood; buildings with a negative `dwellings` are
    # refused, counted (0 marks a non-home)
    inputs = {
        "neighbourhoods": fc(feature(box(0, 0, 100, 100), "n1")),
        "buildings": fc(
            *[
                feature(point(10 + 10 * i, 50), f"h{i}", dwellings=d)
                for i, d in enumerate(dwellings)
            ]
        ),
        "parks": fc(feature(box(0, 150, 100, 250), "park")),
        "canopy": fc(feature(box(0, 0, 100, 40))),
    }
    with pytest.raises(InputError) as err:
        execute(registry().get("green-3-30-300"), inputs)
    return str(err.value)


def test_a_message_about_one_feature_is_singular() -> None:
    assert "1 feature has a negative 'dwellings'" in _negative_dwellings([1, -1, 1])
    assert "2 features have a negative 'dwellings'" in _negative_dwellings([-1, -1, 1])
