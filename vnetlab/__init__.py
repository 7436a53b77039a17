"""vnetlab: build, emulate, explain and check Linux virtual networks."""

__version__ = "0.1.0"
