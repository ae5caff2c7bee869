"""Texas county polygons from the Census 1:500k cartographic boundary shapefile shipped
inside the PyPI package `plotly-geo` (NAD83 geographic; treated as EPSG:4326, which
differs by well under a metre). Read from the installed package, never downloaded."""

from __future__ import annotations

import importlib.resources
import json
from collections.abc import Iterator

import shapefile

TEXAS_FIPS = "48"


def county_shapes() -> Iterator[tuple[str, str]]:
    """(county code, GeoJSON geometry) for each of Texas's 254 counties."""
    base = importlib.resources.files("_plotly_geo") / "package_data"
    with importlib.resources.as_file(base / "cb_2016_us_county_500k.shp") as shp:
        with shapefile.Reader(str(shp)) as reader:
            for rec in reader.iterShapeRecords():
                if rec.record["STATEFP"] == TEXAS_FIPS:
                    yield rec.record["COUNTYFP"], json.dumps(rec.shape.__geo_interface__)
