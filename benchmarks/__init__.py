"""Speed and quality measurements; each prints ratios against a bare baseline run alongside."""
