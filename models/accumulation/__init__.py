"""The insurer's book: event catalog, year loss table, EP metrics (CONTRACT §7).

Pure model code: no Flask, no database. The service and the CLI build a
:class:`~models.accumulation.simulation.Book` from bound policies or a book
file and read the figures from :mod:`models.accumulation.metrics`.
"""
