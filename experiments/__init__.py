"""Versioned experiments: one folder per question, run by ``race-experiment <name>``."""
