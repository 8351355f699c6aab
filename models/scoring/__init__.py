"""From exposures to claim rates and severities: features, boosters, bundles, registry, explanations, drift."""
