"""Data shipped with MLOps Desktop: lifecycles, maturity models, templates, icons, samples.

Installed as the ``mlops_desktop_resources`` package; read it through
:func:`mlops_desktop.core.resources.resource_path`, never by a path relative to the source tree.
"""
