"""Operator name keys: variants from RRC and other sources meet; different names don't."""

import pytest

from services.operators.names import display_name, may_be_truncated, name_key, truncated_key


@pytest.mark.parametrize("a,b", [
    ("PIONEER NATURAL RES. USA, INC.", "Pioneer Natural Resources USA Inc"),
    ("CHEVRON U. S. A. INC.", "Chevron USA Inc"),
    ("XTO ENERGY INC.", "XTO Energy, Inc"),
    ("BURLINGTON RESOURCES O & G CO LP", "Burlington Resources Oil and Gas Company LP"),
    ("TRIO CONSULTING & MANAGEMENT,LLC", "Trio Consulting and Management, L.L.C."),
    ("WAGGONER OPERATING, L.L.C.", "Waggoner Operating LLC"),
    ("JAVELIN ENERGY PARTNERS MGMT LLC", "Javelin Energy Partners Management, LLC"),
    ("KCS Resources, L.L.C.", "KCS Resources, Inc."),
])
def test_variants_share_a_key(a, b):
    assert name_key(a) == name_key(b)


@pytest.mark.parametrize("a,b", [
    ("XTO ENERGY INC.", "XTO ENERGY PARTNERS INC"),
    ("PIONEER NATURAL RESOURCES USA", "PIONEER NATURAL GAS USA"),
    ("SM ENERGY COMPANY", "SN ENERGY COMPANY"),
])
def test_different_operators_keep_different_keys(a, b):
    assert name_key(a) != name_key(b)


def test_a_name_cut_at_32_characters_matches_its_full_form_by_prefix():
    full = "BURLINGTON RESOURCES OIL & GAS COMPANY LP"
    cut = full[:32]
    assert cut == "BURLINGTON RESOURCES OIL & GAS C"
    assert may_be_truncated(cut)
    assert name_key(full) == truncated_key(cut)


def test_display_name_drops_truncation_debris():
    assert display_name("PERFORMANCE OPERATING PARTNERS,") == "PERFORMANCE OPERATING PARTNERS"
    assert display_name("  A  B ") == "A B"


def test_suffix_alone_is_kept():
    assert name_key("Company") == "COMPANY"
    assert name_key("") == ""
