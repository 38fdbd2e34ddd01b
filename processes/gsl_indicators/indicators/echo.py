"""``echo``: string in, string out, with an optional pause (for OGC test suites)."""

from __future__ import annotations

import time
from collections.abc import Mapping
from typing import Any

from gsl_indicators.core.geo import Layer
from gsl_indicators.core.spec import Context, Indicator, Output, Parameter


def echo(layers: Mapping[str, Layer], params: dict[str, Any], ctx: Context) -> dict[str, Any]:
    """Return the message unchanged after ``pause`` seconds, reporting progress.

    Examples
    --------
    >>> echo({}, {"message": "hoi", "pause": 0.0}, Context())
    {'echo': 'hoi'}
    """
    pause = float(params["pause"])
    steps = max(1, int(pause * 10))
    for i in range(steps):
        if pause:
            time.sleep(pause / steps)
        ctx.progress((i + 1) / steps, f"pausing ({i + 1}/{steps})")
    return {"echo": params["message"]}


INDICATORS = (
    Indicator(
        id="echo",
        version="1.0.0",
        title={"nl": "Echo", "en": "Echo"},
        description={
            "nl": "Geeft de tekst terug; voor het testen van de OGC-koppeling.",
            "en": "Returns the message unchanged; for testing OGC clients and test suites.",
        },
        theme="test",
        method="The output equals the input message, returned after `pause` seconds.",
        compute=echo,
        parameters=(
            Parameter("message", "Message", "Text to echo.", "string", required=True),
            Parameter(
                "pause",
                "Pause",
                "Seconds to wait before answering.",
                "number",
                0.0,
                0.0,
                600.0,
                unit="s",
            ),
        ),
        outputs=(Output("echo", "Echo", "The message.", {"type": "string"}),),
        keywords=("test",),
        geo=False,
        example={"message": "Hallo, gezonde stad!", "pause": 0.0},
    ),
)
