"""Random points inside Texas county polygons (for the demo and test data generator).

Point-in-polygon by ray casting over the Census rings from `polygons.py`; points are
drawn around a few seeded "pad" hotspots per county so that permits cluster the way
development does, and rejected until they fall inside the county.
"""

from __future__ import annotations

import json
import random
from dataclasses import dataclass
from functools import lru_cache

from services.reference.polygons import county_shapes


@dataclass(frozen=True)
class CountyShape:
    rings: tuple[tuple[tuple[float, float], ...], ...]
    bbox: tuple[float, float, float, float]

    def contains(self, lon: float, lat: float) -> bool:
        minx, miny, maxx, maxy = self.bbox
        if not (minx <= lon <= maxx and miny <= lat <= maxy):
            return False
        inside = False
        for ring in self.rings:  # even-odd over all rings handles holes and islands
            j = len(ring) - 1
            for i in range(len(ring)):
                xi, yi = ring[i]
                xj, yj = ring[j]
                if (yi > lat) != (yj > lat) and lon < (xj - xi) * (lat - yi) / (yj - yi) + xi:
                    inside = not inside
                j = i
        return inside


@lru_cache(maxsize=1)
def county_index() -> dict[str, CountyShape]:
    out = {}
    for code, gj in county_shapes():
        geom = json.loads(gj)
        polys = geom["coordinates"] if geom["type"] == "MultiPolygon" else [geom["coordinates"]]
        rings = tuple(tuple((float(x), float(y)) for x, y in ring) for poly in polys for ring in poly)
        xs = [p[0] for r in rings for p in r]
        ys = [p[1] for r in rings for p in r]
        out[code] = CountyShape(rings, (min(xs), min(ys), max(xs), max(ys)))
    return out


class CountySampler:
    """sample(county_code, rng) -> (lon, lat) inside the county."""

    def __init__(self, seed: int, hotspots: int = 4):
        self.index = county_index()
        self.seed, self.hotspots = seed, hotspots
        self._spots: dict[str, list[tuple[float, float, float]]] = {}

    def _hotspots(self, code: str) -> list[tuple[float, float, float]]:
        if code not in self._spots:
            shape = self.index[code]
            rng = random.Random(f"{self.seed}:spots:{code}")
            minx, miny, maxx, maxy = shape.bbox
            spots = []
            while len(spots) < self.hotspots:
                lon, lat = rng.uniform(minx, maxx), rng.uniform(miny, maxy)
                if shape.contains(lon, lat):
                    spots.append((lon, lat, (maxx - minx) * rng.uniform(0.04, 0.12)))
            self._spots[code] = spots
        return self._spots[code]

    def sample(self, code: str, rng: random.Random) -> tuple[float, float]:
        shape = self.index[code]
        spots = self._hotspots(code)
        for _ in range(200):
            lon0, lat0, spread = rng.choice(spots)
            lon, lat = rng.gauss(lon0, spread), rng.gauss(lat0, spread * 0.8)
            if shape.contains(lon, lat):
                return round(lon, 7), round(lat, 7)
        return round(spots[0][0], 7), round(spots[0][1], 7)
