"""Alerting: rules, the alert engine, the outbox and the channels that deliver alerts."""
