"""Running the training verbs on a Dask cluster (CONTRACT §9): ``--dask ADDRESS``."""
