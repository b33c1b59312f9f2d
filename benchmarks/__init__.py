"""Benchmarks of hingeclf against LinearSVC and SGDClassifier: ``python -m benchmarks``."""
