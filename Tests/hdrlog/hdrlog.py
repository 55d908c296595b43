#!/usr/bin/env python3
"""HdrHistogram interval logs through Python's own `hdrh` package (PyPI: hdrhistogram), the independent side of
bench's --hlog tests. Prints, per tag, the count, the max and the values at a few percentiles, as JSON.

  hdrlog.py read FILE...            the union of every FILE's intervals of each tag
  hdrlog.py write FILE SEED         writes a log of random latencies in three tags, then reads it as above

Percentiles: HdrHistogram (Java, and the Swift package bench uses) takes the value at rank ceil(p/100 * n);
hdrh rounds that rank half up instead (int(p/100 * n + 0.5)), which on a rank of fraction under one half is one
sample lower. So that both sides are asked the same question, hdrh is asked for the percentile whose rounded rank
is HdrHistogram's rank.
"""
import json
import math
import random
import sys

from hdrh.histogram import HdrHistogram
from hdrh.log import HistogramLogReader, HistogramLogWriter

LOWEST, HIGHEST, DIGITS = 1, 3_600_000_000, 3
PERCENTILES = [50.0, 90.0, 99.0, 99.9]


def figures(histogram):
    n = histogram.get_total_count()
    result = {"count": n, "max": histogram.get_max_value() if n else 0}
    for p in PERCENTILES:
        rank = max(1, math.ceil(math.nextafter(p, 0) * n / 100))
        result["p%g" % p] = histogram.get_value_at_percentile(rank * 100.0 / n) if n else 0
    return result


def read(paths):
    union = {}
    for path in paths:
        reader = HistogramLogReader(path, HdrHistogram(LOWEST, HIGHEST, DIGITS))
        while True:
            interval = reader.get_next_interval_histogram()
            if interval is None:
                break
            union.setdefault(interval.get_tag(), HdrHistogram(LOWEST, HIGHEST, DIGITS)).add(interval)
        reader.close()
    return {tag: figures(histogram) for tag, histogram in union.items()}


def write(path, seed):
    rng = random.Random(seed)
    with open(path, "w", encoding="utf-8") as out:
        writer = HistogramLogWriter(out)
        writer.output_comment("[Histogram log format version 1.3]")
        writer.output_base_time(1_796_250_000_000)
        writer.output_legend()
        for second in range(5):
            for tag, scale in (("connect", 200), ("total", 2_000), ("slow", 900_000)):
                histogram = HdrHistogram(LOWEST, HIGHEST, DIGITS)
                for _ in range(rng.randint(0, 3_000)):
                    histogram.record_value(max(1, int(rng.lognormvariate(0, 1.2) * scale)))
                # hdrh's writer has no tags: the line is its own format with the tag before it, as Java writes it.
                out.write("Tag=%s,%f,%f,%f,%s\n" % (
                    tag, second + 0.001, 1.0, histogram.get_max_value() / 1000.0, histogram.encode().decode()))
    return read([path])


if __name__ == "__main__":
    if sys.argv[1] == "read":
        print(json.dumps(read(sys.argv[2:])))
    else:
        print(json.dumps(write(sys.argv[2], int(sys.argv[3]))))
