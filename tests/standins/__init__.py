"""Stand-in servers on 127.0.0.1 that speak external APIs' wire formats (see `base.py` to add one)."""
