"""Evidence read from a team's repository: pure parsers of CI definitions, tests, container
and infrastructure files and ML library calls, turned into findings with a file and line.

Nothing here touches the file system or runs anything: :mod:`mlops_desktop.app.repo_scan`
reads the files (with size and time limits) and hands their text to :func:`.scan.scan_text`.
"""
