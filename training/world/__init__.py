"""The documented synthetic smart-city world: cities, vendors, the truth's rates and severities, calibration."""
