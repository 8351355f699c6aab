"""What an actuary reads: model card, HTML report, plots (drawn in a worker), comparison report."""
