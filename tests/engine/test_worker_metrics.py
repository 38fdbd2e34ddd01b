"""``gsl worker --metrics-port``: execution times of jobs run in RQ work horses."""

from __future__ import annotations

import os
import socket
import subprocess
import sys
import tempfile
import urllib.request

from prometheus_client.parser import text_string_to_metric_families

from engine.engine_helpers import settings_from_env, stop_process, wait_for
from gsl_service.engine import Engine
from gsl_service.jobs.model import JobStatus


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


def _scrape(port: int) -> dict[tuple[str, tuple], float]:
    with urllib.request.urlopen(f"http://127.0.0.1:{port}/metrics", timeout=5) as r:
        text = r.read().decode()
    return {
        (s.name, tuple(sorted(s.labels.items()))): s.value
        for fam in text_string_to_metric_families(text)
        for s in fam.samples
    }


def test_horses_report_their_execution_times(redis_env) -> None:
    port = _free_port()
    env = {**os.environ, **redis_env, "GSL_HOST": "127.0.0.1"}
    cli = "from gsl_service.cli import main; raise SystemExit(main(['worker', '--metrics-port', '%d']))"
    worker = subprocess.Popen([sys.executable, "-c", cli % port], env=env, start_new_session=True)
    engine = Engine(settings_from_env(redis_env, data_dir=tempfile.mkdtemp()))
    engine.start()
    try:
        jobs = [engine.submit("echo", {"message": f"metrics {i}", "pause": 0.2}) for i in range(2)]
        for job in jobs:
            done = wait_for(lambda j=job: (x := engine.get_job(j.job_id)).status.finished and x)
            assert done.status is JobStatus.successful, done.error
        samples = wait_for(lambda: _scrape(port) or None)
        count = samples[("gsl_execution_seconds_count", (("mode", "async"), ("process", "echo")))]
        total = samples[("gsl_execution_seconds_sum", (("mode", "async"), ("process", "echo")))]
        assert count == 2  # two horses, one computation each, summed by the worker
        assert total >= 0.4  # each paused 0.2 s
        key = (
            "gsl_executions_total",
            (("mode", "async"), ("outcome", "successful"), ("process", "echo")),
        )
        assert samples[key] == 2
    finally:
        engine.close()
        stop_process(worker)
