"""Engine configuration files shipped with the package (``default.yaml``)."""
