"""From a claim rate and a severity to a premium: layer and aggregate loss, rating plan, loads, decision."""
