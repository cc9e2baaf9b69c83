"""Statistics over scored runs: paired tests, comparisons, seeds, stability, robustness, leaderboards."""
