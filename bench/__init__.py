"""Benchmark-only code (region-scale seed, floor view). Installed only by meldcode.settings.bench."""
