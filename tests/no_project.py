"""Runs a script the way a user would, refusing any import of this project (the platform's packages)."""

GUARD = """
import importlib.abc, runpy, sys

class NoProject(importlib.abc.MetaPathFinder):
    def find_spec(self, name, path=None, target=None):
        if name.split(".")[0] in {"automl_core", "automl_worker", "adapters", "entrypoints"}:
            raise ImportError(f"the snippet must not import this project ({name})")
        return None

sys.meta_path.insert(0, NoProject())
sys.argv = sys.argv[1:]
runpy.run_path(sys.argv[0], run_name="__main__")
"""
