#!/usr/bin/env python3
"""Side-by-side reference: the same checks as `gridmap audit` with GEOS (through shapely)
on the same synthetic coverage files that `gridmap bench` writes (bench-data/).

    pip install shapely
    python3 benches/geos_compare.py bench-data/synth-100000-1-0.geojson

Prints seconds per phase: parsing, validity (is_valid), invalid edges
(coverage_invalid_edges with gap width 0.5), union and parent difference (gaps), and
STRtree overlap pairs.
"""
import json
import sys
import time

import numpy as np
import shapely


def main(path):
    t0 = time.perf_counter()
    with open(path, "rb") as f:
        doc = json.load(f)
    parent = None
    cells = []
    for feat in doc["features"]:
        rings = feat["geometry"]["coordinates"]
        poly = shapely.Polygon(rings[0], rings[1:])
        if feat["properties"].get("level") == 1:
            parent = poly
        else:
            cells.append(poly)
    cells = np.array(cells, dtype=object)
    t1 = time.perf_counter()
    valid = shapely.is_valid(cells)
    t2 = time.perf_counter()
    edges = shapely.coverage_invalid_edges(cells, gap_width=0.5)
    t3 = time.perf_counter()
    union = shapely.coverage_union_all(cells)
    gaps = shapely.difference(parent, union)
    t4 = time.perf_counter()
    tree = shapely.STRtree(cells)
    pairs = tree.query(cells, predicate="overlaps")
    t5 = time.perf_counter()
    bad = int(np.sum(~shapely.is_empty(edges)))
    print(f"{path}: {len(cells)} cells, invalid {int(np.sum(~valid))}, cells with invalid edges {bad}, "
          f"gap area {gaps.area:.3f}, overlap pairs {pairs.shape[1]}")
    print(f"parse {t1 - t0:.3f} s | validity {t2 - t1:.3f} s | invalid edges {t3 - t2:.3f} s | "
          f"union+difference {t4 - t3:.3f} s | STRtree overlaps {t5 - t4:.3f} s | "
          f"checks {t5 - t1:.3f} s | total {t5 - t0:.3f} s")


if __name__ == "__main__":
    for p in sys.argv[1:]:
        main(p)
