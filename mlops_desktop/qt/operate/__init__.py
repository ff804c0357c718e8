"""Operating models: the Models panel, deployments served, approvals, triggers."""
