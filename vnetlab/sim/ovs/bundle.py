"""OVS ports as the translation sees them: ``xport`` (one interface) and ``xbundle`` (a port).

Design note
-----------
Mirrors the xlate view built by ofproto/ofproto-dpif-xlate.c (``xlate_xbundle_set``,
``xlate_xport_set``) from bridge.c's ``port_configure``: a bundle has a VLAN mode, a VLAN
(``tag``) and a trunk set. ``vlan_mode`` defaults as bridge.c does (a tag makes an access
port, otherwise trunk) and the trunk set of native ports always carries the native VLAN and
never VLAN 0 (``bundle_set``). Bonds are not modelled: every bundle has one interface.
"""

from __future__ import annotations

from dataclasses import dataclass, field

ACCESS = "access"
TRUNK = "trunk"
NATIVE_TAGGED = "native-tagged"
NATIVE_UNTAGGED = "native-untagged"
VLAN_MODES = (ACCESS, TRUNK, NATIVE_TAGGED, NATIVE_UNTAGGED)


@dataclass(slots=True, eq=False)
class XBundle:
    """``struct xbundle``: an OVS Port."""

    name: str
    vlan_mode: str = TRUNK
    vlan: int = -1  # -1: none (trunk); 0..4095 otherwise
    trunks: frozenset[int] | None = None  # None: every VLAN
    floodable: bool = True
    ofports: list[int] = field(default_factory=list)

    @classmethod
    def configure(cls, name: str, tag: int | None, trunks: list[int] | None,
                  vlan_mode: str | None) -> XBundle:
        """``port_configure`` + ``bundle_set``: the effective VLAN settings."""
        vlan = tag if tag is not None and 0 <= tag <= 4095 else -1
        trunk_set = frozenset(trunks) if trunks else None
        mode = vlan_mode if vlan_mode in VLAN_MODES else (ACCESS if vlan >= 0 else TRUNK)
        if mode == TRUNK:
            vlan = -1
        elif vlan < 0:
            vlan = 0
        if mode == ACCESS:
            trunk_set = None
        elif mode in (NATIVE_TAGGED, NATIVE_UNTAGGED) and vlan != 0 and (
                trunk_set is None or vlan not in trunk_set or 0 in trunk_set):
            # force trunking the native VLAN and prohibit trunking VLAN 0
            trunk_set = frozenset(range(1, 4096)) if trunk_set is None else trunk_set
            trunk_set = (trunk_set | {vlan}) - {0}
        return cls(name, mode, vlan, trunk_set)

    def trunks_vlan(self, vid: int) -> bool:
        """``xbundle_trunks_vlan``."""
        return self.vlan_mode != ACCESS and (self.trunks is None or vid in self.trunks)

    def includes_vlan(self, vid: int) -> bool:
        """``xbundle_includes_vlan`` (single-tagged)."""
        if self.vlan_mode == ACCESS:
            return vid == self.vlan
        return self.trunks_vlan(vid)

    def input_vid_is_valid(self, vid: int) -> str | None:
        """``input_vid_is_valid``: None if VID may enter here, else OVS's error text."""
        if self.vlan_mode == ACCESS:
            if vid:
                return (f"dropping VLAN {vid} tagged packet received on port {self.name} "
                        f"configured as VLAN {self.vlan} access port")
            return None
        if self.vlan_mode in (NATIVE_TAGGED, NATIVE_UNTAGGED) and not vid:
            return None
        if not self.trunks_vlan(vid):
            return (f"dropping VLAN {vid} packet received on port {self.name} "
                    f"not configured for trunking VLAN {vid}")
        return None

    def input_translate(self, vid: int) -> int:
        """``xvlan_input_translate``: the VLAN the frame is in inside the bridge."""
        if self.vlan_mode == ACCESS:
            return self.vlan
        if self.vlan_mode in (NATIVE_TAGGED, NATIVE_UNTAGGED) and not vid:
            return self.vlan
        return vid

    def output_translate(self, vid: int) -> int:
        """``xvlan_output_translate``: the VID to send with here (0: untagged)."""
        if self.vlan_mode == ACCESS:
            return 0
        if self.vlan_mode == NATIVE_UNTAGGED and vid == self.vlan:
            return 0
        return vid


@dataclass(slots=True, eq=False)
class XPort:
    """``struct xport``: one interface with its OpenFlow and datapath numbers."""

    name: str
    ofp_port: int
    odp_port: int | None  # None: patch ports have no datapath port
    bundle: XBundle | None
    type: str = "system"
    peer: str | None = None  # patch: the peer port's name
    is_tunnel: bool = False
    options: dict[str, str] = field(default_factory=dict)
    hwaddr: int = 0
