"""When a run recomputes every comparison group instead of the touched ones: pure."""

from services.ingestion.pipeline import wrote_most


def test_a_first_load_or_a_big_backfill_recomputes_everything():
    assert wrote_most(100_000, -1)  # never counted: a new database
    assert wrote_most(5, 0)
    assert wrote_most(30_000, 100_000)


def test_a_daily_file_recomputes_only_what_it_touched():
    assert not wrote_most(1_500, 1_000_000)
    assert not wrote_most(20_000, 100_000)  # a fifth exactly is not more than a fifth
