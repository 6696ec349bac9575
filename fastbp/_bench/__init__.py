"""Benchmark code: workloads, side-by-side comparisons and the scale figures.

- :mod:`.workloads`: every data set, network and setting the benchmarks train;
- :mod:`.timing`: interleaved rounds and their summaries;
- :mod:`.compare`: ``python -m fastbp bench`` (workloads A-D next to sklearn);
- :mod:`.scale`: ``python -m fastbp bench --scale`` (threads, grid search, sparse);
- :mod:`.accuracy`: time to accuracy on digits, fastbp next to sklearn.

The asv suite in ``benchmarks/`` imports its workloads from here.
"""
