"""Tabular input files (CSV or Parquet) checked cell by cell: the sheet, the defect report.

Shared by every reader of a policies-like file: the training bordereaux
(training/bordereau/) and the insurer's book file (models/accumulation/book_file.py),
so a defect is named the same way (file, row, column, value, rule) wherever it is found.
"""
