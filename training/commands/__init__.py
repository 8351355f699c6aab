"""One module per CLI verb of `python -m training`: its arguments and main, nothing else."""
