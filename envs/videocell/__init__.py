"""Personalised video over a shared wireless cell: ``netgym/WirelessVideoCell-v0``."""

from ..core.lazy import lazy_exports

__getattr__, __dir__, __all__ = lazy_exports(
    __name__,
    {
        ".env": "WirelessVideoCellEnv WirelessVideoCellVectorEnv",
        ".params": "VideoCellParams",
        ".personas": "PERSONAS Persona satisfaction",
    },
)
