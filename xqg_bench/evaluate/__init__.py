"""Scoring: ir-measures measures and XOR-Retrieve's official R@kt."""
