"""Report export: the dialog, the figures drawn for reports and the PDF writer."""
