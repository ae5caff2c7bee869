from services.operators.similar import suggest_pairs


def test_suggestions_pair_spellings_of_one_company_and_leave_different_companies_apart():
    ops = [(1, "PIONEER NATURAL RES. USA, INC."), (2, "Pioneer Natural Resources USA LLC"), (3, "DIAMONDBACK E&P LLC"),
           (4, "ENDEAVOR ENERGY RESOURCES LP"), (5, "ENDEAVOUR ENERGY RESOURCES, L.P."), (6, "APACHE CORPORATION"),
           (7, "APACHE DEEP WATER INVESTMENTS LLC")]
    pairs = suggest_pairs(ops)
    found = {frozenset((a, b)) for a, b, _ in pairs}
    assert frozenset((1, 2)) in found and frozenset((4, 5)) in found
    assert frozenset((6, 7)) not in found and not any(3 in p for p in found)
    assert all(0 < s <= 100 for _, _, s in pairs) and [s for *_, s in pairs] == sorted((s for *_, s in pairs), reverse=True)


def test_a_comparison_suggests_alike_ranked_operators_but_never_a_group():
    from services.operators.compare import likely_same

    rows = [{"who": 1, "name": "ENDEAVOR ENERGY RESOURCES LP", "is_group": False},
            {"who": 2, "name": "ENDEAVOUR ENERGY RESOURCES, L.P.", "is_group": False},
            {"who": 3, "name": "ENDEAVOR ENERGY RESOURCES", "is_group": True}, {"who": 4, "name": "APACHE CORP", "is_group": False}]
    pairs = likely_same(rows)
    assert [(p["a"], p["b"]) for p in pairs] == [(1, 2)] and pairs[0]["a_name"] == "ENDEAVOR ENERGY RESOURCES LP"
