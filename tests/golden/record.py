"""Record every indicator's example output as a golden file (run once, before a refactor).

``python tests/golden/record.py`` writes ``tests/golden/<id>.json`` with the example
inputs and the result document as the code computes them now. ``test_golden.py`` runs
the stored inputs through today's code and shows that only the documented changes
differ. Re-record only on purpose, and say why in the commit.
"""

from __future__ import annotations

import sys
from pathlib import Path

import orjson

from gsl_indicators.core import run
from gsl_indicators.core.canonical import canonical_json
from gsl_indicators.core.spec import registry

HERE = Path(__file__).resolve().parent


def main(ids: list[str]) -> None:
    """Write the golden file of each indicator in ``ids`` (all with an example when empty)."""
    for ind in registry():
        if ind.example is None or (ids and ind.id not in ids):
            continue
        inputs = dict(ind.example)
        doc = run.execute(ind, inputs)
        doc["provenance"].pop("engine", None)
        output = orjson.loads(canonical_json(doc))  # as the service serialises it
        record = {"id": ind.id, "version": ind.version, "inputs": inputs, "output": output}
        path = HERE / f"{ind.id}.json"
        path.write_bytes(orjson.dumps(record, option=orjson.OPT_INDENT_2 | orjson.OPT_SORT_KEYS))
        print(f"{path.name}: {path.stat().st_size} bytes")


if __name__ == "__main__":
    main(sys.argv[1:])
