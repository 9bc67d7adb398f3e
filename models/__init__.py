"""Atelier's networks: architectures, checkpoints (safetensors + manifest), training and evaluation.

This package never reads settings or environment variables; callers pass paths and devices explicitly.
`models.registry` is importable without torch so the web process can list models cheaply.
"""
