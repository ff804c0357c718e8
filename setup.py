"""Package list for setuptools: the app's packages plus resources/ as mlops_desktop_resources.

Everything else is declared in pyproject.toml.
"""

from setuptools import find_packages, setup

setup(packages=[*find_packages(include=["mlops_desktop", "mlops_desktop.*"]), "mlops_desktop_resources"])
