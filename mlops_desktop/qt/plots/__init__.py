"""Plot widgets (pyqtgraph): metric series, model diagnostics, tuning, run comparison,
trends and drift, and their export to PNG, SVG and CSV.

The numbers come from :mod:`mlops_desktop.app.plot_data`; these modules only draw them.
"""
