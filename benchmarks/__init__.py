"""On-demand benchmarks: ``python -m benchmarks`` runs every ``bench_*.py`` here (not part of the test suite)."""
