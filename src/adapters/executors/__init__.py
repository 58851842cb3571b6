"""Executors that run the worker engine: in a local process per job, or on a Gradio Space.

Each lives in its own module so the container imports only the one it is configured to use.
"""
