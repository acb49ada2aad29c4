"""What a running `bf serve` shows its operator: Prometheus metrics, the operator's log, `bf top`."""
