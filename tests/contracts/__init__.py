"""Contract suites: one set of tests every implementation of a store port must pass."""
