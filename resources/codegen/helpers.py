"""Script-only helpers copied into exported pipeline scripts (see mlops_desktop/app/codegen.py).

Each helper sits in a section opened by a ``# ---- helper: NAME`` line; the exporter copies
only the sections a pipeline needs. Everything a script computes (loading, checking,
splitting, features, estimators, metrics) is not here: the exporter copies it from the
stages' own portable modules (mlops_desktop/stages/portable_*.py), so the app and the
script run the same code. What stays here exists only in a script: printing a stage's
metrics, loading a user's function without the app's trust checks, and a stand-in for the
stage context that a user's function may take.
"""


# ---- helper: report
def report(stage, metrics, results):
    """Print a stage's metrics and keep them for the JSON summary."""
    results[stage] = dict(metrics)
    print(f"{stage}:")
    for key, value in metrics.items():
        if "/" not in key:
            print(f"  {key:<24} {value:.6f}")


# ---- helper: load_user_function
def load_user_function(path, module, name):
    """A function from a .py file (run from its source) or from an importable module."""
    import importlib
    import importlib.util

    if path:
        spec = importlib.util.spec_from_file_location("user_stage", path)
        loaded = importlib.util.module_from_spec(spec)
        spec.loader.exec_module(loaded)
    else:
        loaded = importlib.import_module(module)
    return getattr(loaded, name)


# ---- helper: script_context
class ScriptContext:
    """Stands in for the app's stage context: logs print, metrics are printed and kept."""

    def __init__(self, stage, results):
        self.stage, self.results = stage, results

    def log(self, message):
        print(f"{self.stage}: {message}")

    def log_metric(self, key, value, step=None):
        self.results.setdefault(self.stage, {})[key] = float(value)
        print(f"{self.stage}: {key} = {float(value):.6f}")

    def log_metrics(self, key, values, steps=None):
        self.log_metric(key, list(values)[-1])

    def progress(self, fraction, message=""):
        pass

    def check_cancelled(self):
        pass

    def fail(self, message):
        raise SystemExit(f"{self.stage}: {message}")

    def skip_downstream(self, reason):
        print(f"{self.stage}: {reason}")
