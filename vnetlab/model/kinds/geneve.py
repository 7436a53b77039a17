"""geneve: Geneve (drivers/net/geneve.c, RFC 8926) with option TLVs."""

from __future__ import annotations

from typing import Literal

from pydantic import ConfigDict, Field, field_validator, model_validator

from vnetlab.model.base import Model
from vnetlab.model.kinds.tunnel import TunnelSpec


class GeneveOptionSpec(Model):
    """One Geneve option TLV (RFC 8926 3.5): class, type (0x80 bit = critical), data."""

    model_config = ConfigDict(frozen=True, extra="forbid", populate_by_name=True)

    opt_class: int = Field(alias="class", ge=0, le=0xFFFF)
    type: int = Field(ge=0, le=0xFF)
    data: str = Field("", description="hex bytes, a multiple of 4 bytes, e.g. '00000007'")

    @field_validator("data")
    @classmethod
    def _data(cls, v: str) -> str:
        h = v.replace(":", "").replace(" ", "").lower()
        try:
            raw = bytes.fromhex(h)
        except ValueError:
            raise ValueError(f"option data {v!r} is not hex bytes like '00000007'") from None
        if len(raw) % 4 or len(raw) > 124:
            raise ValueError(
                f"option data is {len(raw)} bytes; Geneve needs a multiple of 4, at most 124"
            )
        return h


class GeneveSpec(TunnelSpec):
    """Geneve (drivers/net/geneve.c, RFC 8926): ``ip link add NAME type geneve id VNI remote IP``.

    ``options`` are added to every packet the device sends (the emulator's stand-in for
    the metadata OVN sets through OVS; Linux's geneve netdev itself takes none).
    """

    type: Literal["geneve"]
    dstport: int = Field(6081, ge=1, le=65535)
    options: list[GeneveOptionSpec] = []

    @model_validator(mode="after")
    def _needs_remote(self) -> GeneveSpec:
        if self.remote is None:
            raise ValueError("geneve needs 'remote' (the peer's underlay address)")
        return self

    def ip_link_type(self) -> list[str]:
        """Option TLVs have no ``ip link`` form (see the linux engine's refusal)."""
        args = ["type", "geneve", "id", str(self.id), "remote", str(self.remote)]
        if self.dstport != 6081:
            args += ["dstport", str(self.dstport)]
        if self.ttl is not None:
            args += ["ttl", str(self.ttl)]
        if self.df != "unset":
            args += ["df", self.df]
        return args

