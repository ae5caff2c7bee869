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
