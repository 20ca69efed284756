"""Experiments beyond the course (tool): the FCN-score segmenter, fast recipes, applications
and the paper's ablations."""

__all__ = []
