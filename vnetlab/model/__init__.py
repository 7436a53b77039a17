"""The lab model: typed specs, the YAML loader, ``resolve()`` and the JSON Schema.

``model`` imports nothing else of vnetlab. Typical use::

    from vnetlab.model import LabError, load_lab
    lab = load_lab("lab.yaml")   # parsed, validated and resolved, or LabError
"""

from __future__ import annotations

import importlib
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from vnetlab.model.errors import LabError, Problem
    from vnetlab.model.load import load_lab, load_lab_text
    from vnetlab.model.origin import lab_where
    from vnetlab.model.ovs import OvsBridgeSpec, OvsMirrorSpec, OvsPortSpec
    from vnetlab.model.resolver import endpoint_peer, generated_mac, iface_mac, mac_of_ref, resolve
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

#: public name -> the module defining it; imported on first use (PEP 562), so importing
#: ``vnetlab.model.errors`` or ``vnetlab.model.order`` does not load pydantic
_LAZY: dict[str, str] = {
    "BridgePortOptions": "vnetlab.model.spec",
    "BridgeSpec": "vnetlab.model.spec",
    "Check": "vnetlab.model.spec",
    "DEVICE_KINDS": "vnetlab.model.spec",
    "Endpoint": "vnetlab.model.spec",
    "FdbCheck": "vnetlab.model.spec",
    "FdbEntrySpec": "vnetlab.model.spec",
    "FrameMatch": "vnetlab.model.spec",
    "FramesCheck": "vnetlab.model.spec",
    "InterfaceSpec": "vnetlab.model.spec",
    "KNOWN_SYSCTLS": "vnetlab.model.spec",
    "LabError": "vnetlab.model.errors",
    "LabSpec": "vnetlab.model.spec",
    "LinkSpec": "vnetlab.model.spec",
    "NetdevSpec": "vnetlab.model.spec",
    "NodeSpec": "vnetlab.model.spec",
    "OvsBridgeSpec": "vnetlab.model.ovs",
    "OvsMirrorSpec": "vnetlab.model.ovs",
    "OvsPortSpec": "vnetlab.model.ovs",
    "PingCheck": "vnetlab.model.spec",
    "Problem": "vnetlab.model.errors",
    "RouteSpec": "vnetlab.model.spec",
    "SPEC_BY_KIND": "vnetlab.model.spec",
    "TraceCheck": "vnetlab.model.spec",
    "VethSpec": "vnetlab.model.spec",
    "endpoint_peer": "vnetlab.model.resolver",
    "generated_mac": "vnetlab.model.resolver",
    "iface_mac": "vnetlab.model.resolver",
    "lab_json_schema": "vnetlab.model.schema",
    "lab_where": "vnetlab.model.origin",
    "load_lab": "vnetlab.model.load",
    "load_lab_text": "vnetlab.model.load",
    "mac_of_ref": "vnetlab.model.resolver",
    "resolve": "vnetlab.model.resolver",
}


def __getattr__(name: str) -> Any:
    mod = _LAZY.get(name)
    if mod is None:
        raise AttributeError(f"module {__name__!r} has no attribute {name!r}")
    value = getattr(importlib.import_module(mod), name)
    globals()[name] = value
    return value


__all__ = [
    "BridgePortOptions",
    "BridgeSpec",
    "Check",
    "DEVICE_KINDS",
    "Endpoint",
    "FdbCheck",
    "FdbEntrySpec",
    "FrameMatch",
    "FramesCheck",
    "InterfaceSpec",
    "KNOWN_SYSCTLS",
    "LabError",
    "LabSpec",
    "LinkSpec",
    "NetdevSpec",
    "NodeSpec",
    "OvsBridgeSpec",
    "OvsMirrorSpec",
    "OvsPortSpec",
    "PingCheck",
    "Problem",
    "RouteSpec",
    "SPEC_BY_KIND",
    "TraceCheck",
    "VethSpec",
    "endpoint_peer",
    "generated_mac",
    "iface_mac",
    "lab_json_schema",
    "lab_where",
    "load_lab",
    "load_lab_text",
    "mac_of_ref",
    "resolve",
]
