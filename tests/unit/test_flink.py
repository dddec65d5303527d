"""Pure parts of running on a Flink cluster: the REST address of a --flink_master, job names, tick counts."""

from __future__ import annotations

from pipeline.runtime.flink import EMBEDDED_MASTERS, job_name_for_run, rest_url
from pipeline.transforms.poll import impulse_count


def test_rest_url_of_a_cluster_master_and_none_for_an_embedded_flink() -> None:
    assert rest_url("127.0.0.1:8081") == "http://127.0.0.1:8081"
    assert rest_url("https://flink.example:8443/") == "https://flink.example:8443"
    assert rest_url(" newsmon-flink-rest:8081 ") == "http://newsmon-flink-rest:8081"
    for master in (*EMBEDDED_MASTERS, None):
        assert rest_url(master) is None


def test_each_run_gets_its_own_job_name() -> None:
    names = {job_name_for_run() for _ in range(50)}
    assert len(names) == 50
    assert all(n.startswith("newsmon-") and len(n) == len("newsmon-") + 12 for n in names)


def test_impulse_count_covers_the_bounded_run_and_zero_means_endless() -> None:
    assert impulse_count(5.0, None) == 0
    assert impulse_count(5.0, 0) == 0
    assert impulse_count(5.0, 12.0) == 3  # ticks at 0, 5 and 10 s, as PeriodicImpulse fires them
    assert impulse_count(1.0, 0.5) == 1
