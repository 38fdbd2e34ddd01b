"""``echo``: string in, string out, with an optional pause (for OGC test suites)."""

from __future__ import annotations

import time
from collections.abc import Mapping
from typing import Any

from gsl_indicators.core.geo import Layer
from gsl_indicators.core.metrics import Metric, Metrics
from gsl_indicators.core.spec import Context, Indicator, Output, Parameter

__all__ = ["INDICATORS", "echo"]


def echo(layers: Mapping[str, Layer], params: dict[str, Any], ctx: Context) -> Metrics:
    """Return the message unchanged after ``pause`` seconds, reporting progress.

    The message is the further output ``echo``; its length is the one metric, so the
    result is a metric-model document like every other (``summary``, ``metrics``).

    Examples
    --------
    >>> echo({}, {"message": "hoi", "pause": 0.0}, Context())
    Metrics(feature={}, area={}, overall={'characters': 3}, outputs={'echo': 'hoi'}, collections={})
    """
    pause = float(params["pause"])
    steps = max(1, int(pause * 10))
    for i in range(steps):
        if pause:
            time.sleep(pause / steps)
        ctx.progress((i + 1) / steps, f"pausing ({i + 1}/{steps})")
    message = params["message"]
    return Metrics(overall={"characters": len(message)}, outputs={"echo": message})


INDICATORS = (
    Indicator(
        id="echo",
        version="2.0.0",
        title={"nl": "Echo", "en": "Echo"},
        description={
            "nl": "Geeft de tekst terug; voor het testen van de OGC-koppeling.",
            "en": "Returns the message unchanged; for testing OGC clients and test suites.",
        },
        theme="test",
        method=(
            "The output `echo` equals the input message, returned after `pause` seconds; "
            "the summary gives its length in characters."
        ),
        compute=echo,
        parameters=(
            Parameter("message", "Message", "Text to echo.", "string", required=True),
            Parameter(
                "pause",
                "Pause",
                "Seconds to wait before answering.",
                "number",
                default=0.0,
                minimum=0.0,
                maximum=600.0,
                unit="s",
            ),
        ),
        metrics=(
            Metric(
                "characters",
                {"nl": "Tekens", "en": "Characters"},
                "count",
                levels=("overall",),
                digits=0,
                description="Length of the echoed message in characters (Unicode code points).",
            ),
        ),
        outputs=(Output("echo", "Echo", "The message.", {"type": "string"}),),
        keywords=("test",),
        geo=False,
        example={"message": "Hallo, gezonde stad!", "pause": 0.0},
    ),
)
