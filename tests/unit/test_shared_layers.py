"""No kernel prepares a layer's geometries in place (core/prepared.py).

GEOS prepared geometries build their indexes lazily and not thread-safely
(libgeos/geos#825); a scoreboard runs its indicators in threads over the same parsed
layers, so a kernel that called ``shapely.prepare`` on a layer's own geometries let two
threads race on one prepared geometry — a work horse aborted with heap corruption while
``water`` and ``soil`` overlaid their surfaces on the same neighbourhoods. Every
indicator's example (the composites' too) runs here and its layers must come out as
they went in: no geometry prepared.
"""

from __future__ import annotations

from typing import Any

import numpy as np
import pytest
import shapely

from gsl_indicators.core import geo, run
from gsl_indicators.core.spec import registry
from scenario_design import scenario_inputs

CASES = [
    (ind.id, dict(ind.example))
    for ind in registry()
    if ind.example is not None and ind.theme != "test" and ind.geo
]
# water, soil, parking-pressure and housing-capacity on neighbourhoods together (the
# kernels that prepared them), and a comparison whose variants share the baseline's layers
CASES += [("scenario-compare (design)", scenario_inputs())]


@pytest.mark.parametrize(("name", "inputs"), CASES, ids=[c[0] for c in CASES])
def test_a_run_leaves_its_layers_unprepared(
    name: str, inputs: dict[str, Any], monkeypatch: pytest.MonkeyPatch
) -> None:
    read: list[dict[str, Any]] = []
    real = run.read_layers

    def reading(*args: Any, **kwargs: Any) -> Any:
        layers, crs = real(*args, **kwargs)
        read.append(layers)
        return layers, crs

    monkeypatch.setattr(run, "read_layers", reading)
    # a sensitivity analysis reads its target's layers itself (Indicator.reads_inputs)
    monkeypatch.setattr(geo, "read_layers", reading)
    run.execute(registry().get(name.split(" ")[0]), inputs)
    assert read, "the run read no layers"
    for layers in read:
        for layer_name, layer in layers.items():
            geoms = np.asarray(getattr(layer, "geometries", []), dtype=object)
            prepared = shapely.is_prepared(geoms[geoms != None])  # noqa: E711 - object array
            assert not prepared.any(), f"{name}: {layer_name} prepared in place"
