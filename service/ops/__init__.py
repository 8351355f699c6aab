"""Operations: health and readiness, Prometheus metrics, JSON logs, drift gauges."""
