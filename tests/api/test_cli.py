"""The ``gsl`` command: run (local compute), openapi (write / check)."""

from __future__ import annotations

import json
import subprocess
import sys

from geojson_helpers import fc, feature, point
from gsl_service.cli import main
from results import values

GSL = [sys.executable, "-m", "gsl_service.cli"]


def test_gsl_run_prints_result_document(tmp_path):
    req = tmp_path / "req.json"
    req.write_text(json.dumps({"inputs": {"addresses": fc(feature(point(0, 0), "a"))}}))
    out = subprocess.run(
        [*GSL, "run", "urbanity-class", str(req)], capture_output=True, check=True, cwd=tmp_path
    )
    doc = values(json.loads(out.stdout))
    assert doc["addresses"]["features"][0]["id"] == "a"
    assert doc["summary"]["urbanity_class"] == 5
    assert doc["provenance"]["indicator"] == "urbanity-class"


def test_gsl_run_progress_bar_on_stderr(tmp_path):
    req = tmp_path / "req.json"
    req.write_text(json.dumps({"inputs": {"message": "slow", "pause": 1.2}}))
    out = subprocess.run(
        [*GSL, "run", "echo", str(req)], capture_output=True, check=True, cwd=tmp_path
    )
    assert values(json.loads(out.stdout))["echo"] == "slow"
    assert b"%" in out.stderr and b"[" in out.stderr


def test_gsl_run_bad_input_names_it(tmp_path, capsys):
    req = tmp_path / "req.json"
    req.write_text(json.dumps({"inputs": {"message": "x", "pause": -3}}))
    assert main(["run", "echo", str(req)]) == 2
    assert "pause" in capsys.readouterr().err
    req.write_text("{broken")
    assert main(["run", "echo", str(req)]) == 2
    assert main(["run", "no-such", str(req.with_name("missing.json"))]) == 2


def test_openapi_write_and_check(tmp_path, capsys):
    target = tmp_path / "openapi.json"
    assert main(["openapi", "--output", str(target)]) == 0
    assert main(["openapi", "--check", str(target)]) == 0
    text = target.read_text()
    assert json.loads(text)["servers"][0]["url"] == "http://127.0.0.1:5000"
    target.write_text(text.replace('"3.0.2"', '"3.0.1"'))
    capsys.readouterr()
    assert main(["openapi", "--check", str(target)]) == 1
    assert "stale" in capsys.readouterr().err
