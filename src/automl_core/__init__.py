"""The AutoML platform's domain: workflow graphs, the node catalog, validation, runs, models and ports.

Pure: only the standard library and msgspec. Adapters implement the ports in `ports.py`.
"""
