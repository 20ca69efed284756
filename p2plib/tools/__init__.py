"""The tools around the course (tool): the command line, several workers, checkpoints and exact
resume, reports, translation of folders, and the Keras workarounds."""

__all__ = []
