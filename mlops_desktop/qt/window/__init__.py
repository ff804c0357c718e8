"""The parts the main window is composed of: its pipeline tabs, its actions and menus, and
the controllers for runs, project panels, files and the remembered session.

:class:`mlops_desktop.qt.main_window.MainWindow` builds them and hands each the widgets and
services it works with.
"""
