"""The two-neighbourhood design that tests of ``scenario-compare`` share.

Four homes at x = 20, 80, 120, 180 (two per neighbourhood n1, n2), a park, canopy strips,
three trees near h1 and a 50 dB road-noise zone; variant A-bomen gives the home at x = 120
three trees, B-weg raises n2's noise to 60 dB. The numbers these give are worked out by hand
in tests/unit/test_scenario_compare.py.
"""

from __future__ import annotations

from typing import Any

from geojson_helpers import box, fc, feature, point

CARD = {
    "id": "t",
    "title": {"nl": "t", "en": "t"},
    "version": "1",
    "publisher": "test",
    "themes": [
        {
            "id": "green",
            "title": {"nl": "Groen", "en": "Green"},
            "indicators": [{"indicator": "green-3-30-300"}],
        },
        {
            "id": "noise",
            "title": {"nl": "Geluid", "en": "Noise"},
            "indicators": [{"indicator": "noise"}],
        },
    ],
}


def trees(*xy: tuple[float, float]) -> dict[str, Any]:
    """Return a tree layer of points at ``xy``."""
    return fc(*[feature(point(x, y)) for x, y in xy])


def scenario_inputs(**variants: Any) -> dict[str, Any]:
    """Return the design's inputs with ``variants`` (default: A-bomen and B-weg)."""
    return {
        "card": CARD,
        "neighbourhoods": fc(
            feature(box(0, 0, 100, 100), "n1"), feature(box(100, 0, 200, 100), "n2")
        ),
        "buildings": fc(
            *[
                feature(point(x, 50), f"h{i}", dwellings=1)
                for i, x in enumerate([20, 80, 120, 180], 1)
            ]
        ),
        "parks": fc(feature(box(0, 150, 100, 250), "park")),
        "canopy": fc(feature(box(0, 0, 100, 40)), feature(box(100, 0, 200, 40))),
        "trees": trees((20, 60), (25, 55), (15, 45)),
        "exposure_zones": fc(feature(box(0, 0, 200, 100), lden=50.0)),
        "variants": variants
        or {
            "A-bomen": {"trees": {"add": trees((120, 60), (125, 55), (115, 45))}},
            "B-weg": {
                "exposure_zones": fc(
                    feature(box(0, 0, 100, 100), lden=50.0),
                    feature(box(100, 0, 200, 100), lden=60.0),
                )
            },
        },
    }
