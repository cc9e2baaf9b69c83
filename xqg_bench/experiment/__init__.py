"""The experiment: its declared value (config), the systems, scoring, the orchestration and regressions."""
