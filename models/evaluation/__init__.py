"""Evaluation tools and benchmarks (`atelier benchmark WHAT`): digit classifier, Fréchet distance, reports."""
