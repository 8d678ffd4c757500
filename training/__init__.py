"""Training scripts for the models shipped inside the package (run with the `train` extra)."""
