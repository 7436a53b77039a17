"""The emulator's performance model: per-device costs (``cost.py``, ``costs.json``)."""
