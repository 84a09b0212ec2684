"""Figures for the stage notebooks and the run report."""
