"""Evaluation tools and benchmarks (`atelier benchmark WHAT`): class classifiers, Fréchet distance, EfficientNet-Lite0
features, k-NN precision / recall, reports."""
