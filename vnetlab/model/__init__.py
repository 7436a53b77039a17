"""The lab model: typed specs, the YAML loader, ``resolve()`` and the JSON Schema.

``model`` imports nothing else of vnetlab. Typical use::

    from vnetlab.model import LabError, load_lab
    lab = load_lab("lab.yaml")   # parsed, validated and resolved, or LabError
"""

from vnetlab.model.errors import LabError, Problem
from vnetlab.model.load import load_lab, load_lab_text
from vnetlab.model.resolve import endpoint_peer, generated_mac, iface_mac, mac_of_ref, resolve
from vnetlab.model.schema import lab_json_schema
from vnetlab.model.spec import (
    DEVICE_KINDS,
    KNOWN_SYSCTLS,
    SPEC_BY_KIND,
    BridgePortOptions,
    BridgeSpec,
    Check,
    Endpoint,
    FdbCheck,
    FdbEntrySpec,
    FrameMatch,
    FramesCheck,
    InterfaceSpec,
    LabSpec,
    LinkSpec,
    NetdevSpec,
    NodeSpec,
    PingCheck,
    RouteSpec,
    TraceCheck,
    VethSpec,
)

__all__ = [
    "DEVICE_KINDS",
    "KNOWN_SYSCTLS",
    "SPEC_BY_KIND",
    "BridgePortOptions",
    "BridgeSpec",
    "Check",
    "Endpoint",
    "FdbCheck",
    "FdbEntrySpec",
    "FrameMatch",
    "FramesCheck",
    "InterfaceSpec",
    "LabError",
    "LabSpec",
    "LinkSpec",
    "NetdevSpec",
    "NodeSpec",
    "PingCheck",
    "Problem",
    "RouteSpec",
    "TraceCheck",
    "VethSpec",
    "endpoint_peer",
    "generated_mac",
    "iface_mac",
    "lab_json_schema",
    "load_lab",
    "load_lab_text",
    "mac_of_ref",
    "resolve",
]
