"""Permit search parameters: parsed, or refused with the parameter and what is wrong."""

import uuid
from datetime import date

import pytest

from services.permits.search import SearchError, build_sql, decode_cursor, encode_cursor, parse


def test_parse_normalizes_filters_and_defaults():
    q = parse({"counties": ["Midland", "317"], "profiles": "horizontal", "limit": "50", "bbox": "-102.5,31.5,-101.5,32.5"})
    assert q.filters == {"counties": ["317", "329"], "profiles": ["horizontal"]}
    assert (q.limit, q.sort, q.bbox) == (50, "issued_desc", (-102.5, 31.5, -101.5, 32.5))


@pytest.mark.parametrize("params,param,words", [
    ({"counties": ["Atlantis"]}, "filters", "unknown county"),
    ({"sort": "random"}, "sort", "must be one of"),
    ({"limit": "5000"}, "limit", "between 1 and 500"),
    ({"bbox": "-101,32,-102,31"}, "bbox", "min < max"),
    ({"bbox": "a,b"}, "bbox", "min_lon,min_lat"),
    ({"area": "{not json"}, "area", "is not JSON"),
    ({"area": '{"type": "Point", "coordinates": [0, 0]}'}, "area", "Polygon or MultiPolygon"),
    ({"bbox": "-102,31,-101,32", "area": '{"type": "Polygon", "coordinates": []}'}, "area", "not both"),
    ({"buffer_m": "-5"}, "buffer_m", "between 0"),
    ({"cursor": "garbage"}, "cursor", "is not a cursor"),
])
def test_bad_parameters_name_the_parameter(params, param, words):
    with pytest.raises(SearchError) as err:
        parse(params)
    assert err.value.param == param and words in err.value.detail


def test_cursor_round_trip():
    pid = uuid.uuid4()
    assert decode_cursor(encode_cursor(date(2026, 7, 1), pid), "issued_desc") == (date(2026, 7, 1), pid)
    assert decode_cursor(encode_cursor(10500, pid), "depth_desc") == (10500, pid)


def test_sql_uses_the_filters_and_the_keyset():
    q = parse({"districts": ["08"], "depth_min": 9000, "bbox": "-103,31,-101,33", "buffer_m": "1000",
               "cursor": encode_cursor(date(2026, 7, 1), uuid.uuid4())})
    sql, params = build_sql(q)
    assert "c.district = ANY(%(f_districts)s)" in sql and "c.total_depth >= %(f_depth_min)s::int" in sql
    assert "ST_DWithin(c.geom::geography" in sql and "c.geom && ST_Expand" in sql
    assert "(coalesce(c.issued_date, '0001-01-01'::date), c.permit_id) < (%(after_value)s, %(after_id)s)" in sql
    assert params["limit"] == 101
