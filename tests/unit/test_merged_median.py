"""The comparison's medians, merged from value-count lists: pure, no database. Held to
Python's own median of the values the lists stand for."""

import random
import statistics
from collections import Counter

from services.operators.compare import merged_median


def _lists(values: list[int]) -> tuple[list[int], list[int]]:
    counts = Counter(values)
    return sorted(counts), [counts[v] for v in sorted(counts)]


def test_one_list_is_the_median_of_the_values_it_stands_for_odd_and_even():
    assert merged_median([([7000, 8000, 9500], [1, 1, 1])]) == 8000
    assert merged_median([([7000, 8000], [1, 1])]) == 7500
    assert merged_median([([10, 20, 30], [5, 1, 1])]) == 10  # 10 10 10 10 10 20 30
    assert merged_median([([10, 20], [2, 2])]) == 15


def test_no_values_or_values_that_cancel_have_no_median():
    assert merged_median([]) is None
    assert merged_median([([], [])]) is None
    assert merged_median([([500, 900], [1, 2]), ([500, 900], [-1, -2])]) is None


def test_a_stretch_subtracts_its_earlier_month_to_date_value_by_value():
    # month to date on the 20th minus month to date on the 9th: 500 x1 (gone), 700 x2, 900 x1
    later, earlier = ([500, 700, 900], [2, 2, 1]), ([500], [-2])
    assert merged_median([later, earlier]) == 700
    # the order of the lists does not matter, nor a value whose counts cancel on the way
    assert merged_median([earlier, later]) == 700


def test_merging_many_lists_with_cancellations_equals_the_median_of_what_is_left():
    rng = random.Random(11)
    for _ in range(300):
        kept = [rng.randrange(1000, 12000, 10) for _ in range(rng.randrange(1, 60))]
        gone = [rng.randrange(1000, 12000, 10) for _ in range(rng.randrange(0, 30))]
        # split what is kept (plus what later leaves) over several month rows, then subtract what left
        pieces = [kept[i::3] for i in range(3)]
        pieces[0] = pieces[0] + gone
        lists = [_lists(p) for p in pieces if p]
        if gone:
            values, counts = _lists(gone)
            lists.append((values, [-n for n in counts]))
        assert merged_median(lists) == statistics.median(kept)


def test_one_long_list_equals_the_median_of_the_values_it_stands_for():
    rng = random.Random(12)
    for _ in range(300):
        values = [rng.randrange(1000, 12000, 10) for _ in range(rng.randrange(1, 200))]
        assert merged_median([_lists(values)]) == statistics.median(values)
        # beside empty lists (an operator's month with no depths)
        assert merged_median([([], []), _lists(values), ([], [])]) == statistics.median(values)
