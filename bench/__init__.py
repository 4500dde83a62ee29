"""County-scale benchmarks (not collected by pytest): `python -m bench.county`."""
