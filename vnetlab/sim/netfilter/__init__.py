"""Netfilter for the emulator: the bridge family's ebtables filter table and its hooks."""
