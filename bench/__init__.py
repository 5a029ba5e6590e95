"""Strongroom's benchmarks: numbers printed, never timed assertions in the test suite."""
