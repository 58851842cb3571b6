"""Relational persistence adapters."""
