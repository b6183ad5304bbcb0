"""Lexicons shipped with the anonymizer (YAML, read once when the engine is built)."""
