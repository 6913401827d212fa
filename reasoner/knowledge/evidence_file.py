"""The shape of an evidence registry (``evidence.yaml``): one entry per evidence id."""

from __future__ import annotations

from pydantic import TypeAdapter

from ..datamodel import DataModel, Text
from .evidence import Direction, Quality, Strength


class EvidenceEntry(DataModel):
    origin: Text
    source: Text
    backs: Text
    quality: Quality
    words: str | None = None
    direction: Direction | None = None
    strength: Strength | None = None
    link: str | None = None


REGISTRY: TypeAdapter[dict[str, EvidenceEntry]] = TypeAdapter(dict[str, EvidenceEntry])
