"""Rules for text that people type and others see (department names, display names).

Bidirectional control characters (U+202A-U+202E embeddings and overrides, U+2066-U+2069 isolates,
U+200E/U+200F marks, U+061C) make text display in an order other than the one stored: "Sales" +
U+202E + "ytiruceS" reads as "SalesSecurity" backwards on every page, chart and export. No
department or person name needs them (Chinese and English do not), so they are refused on input.
"""

from __future__ import annotations

import re

BIDI_CONTROLS = re.compile("[\u061c\u200e\u200f\u202a-\u202e\u2066-\u2069]")


def has_bidi_control(text: object) -> bool:
    """Whether `text` holds a bidirectional control character."""
    return bool(BIDI_CONTROLS.search(str(text)))
