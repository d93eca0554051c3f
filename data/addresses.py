"""Email addresses: checking one before it goes into a header, and keeping one, encrypted, on an
unused invitation for reminders (issue 21).

An address is kept with its person's link as one Fernet token (AES-128-CBC with HMAC-SHA256) under
the deployment's key (settings `ICSAT_ADDRESS_KEY`), never in clear and never without the key: with
no key nothing is kept and reminders are unavailable. The claim that marks the invitation used
erases it (data/submissions.py), so only people who have not answered have an address here.
"""

from __future__ import annotations

import json
from email.errors import HeaderParseError
from email.headerregistry import Address

from cryptography.fernet import Fernet, InvalidToken

# RFC 5321: 64 octets for the local part, 254 for the whole path (as stated by RFC 3696 errata).
MAX_ADDRESS = 254
MAX_LOCAL = 64
MAX_NAME = 200


class BadAddress(ValueError):
    """An address (or display name) that cannot go into a message; `code` says why (texts.py words
    it as `mail_fail_<code>`)."""

    def __init__(self, code: str) -> None:
        super().__init__(code)
        self.code = code


def checked_address(email: object) -> str:
    """The address of a roster's email cell, stripped, or BadAddress: a line break or other control
    character (header injection), no address, too long, or not one address. Cheap: the roster's
    100,000 rows are checked with it before their addresses are kept."""
    text = "" if email is None or (isinstance(email, float) and email != email) else str(email).strip()
    if not text:
        raise BadAddress("no_address")
    if not text.isprintable():
        raise BadAddress("line_break")
    if len(text.encode("utf-8")) > MAX_ADDRESS:
        raise BadAddress("too_long")
    if text.count("@") != 1 or any(c in text for c in ' ,;<>"()[]\\'):
        raise BadAddress("invalid")
    local, domain = text.split("@")
    if not local or not domain or len(local.encode("utf-8")) > MAX_LOCAL or "." not in domain.strip("."):
        raise BadAddress("invalid")
    return text


def recipient(email: object, name: object = "") -> Address:
    """The checked `Address` (for a header) of a roster's email and name, or BadAddress: as
    `checked_address`, and a name with a line break is refused too."""
    text = checked_address(email)
    display = "" if name is None or (isinstance(name, float) and name != name) else str(name).strip()
    if any(c in display for c in "\r\n\x00"):
        raise BadAddress("line_break")
    local, domain = text.split("@")
    shown_name = display[:MAX_NAME] if display.isprintable() else ""
    try:
        if text.isascii():
            return Address(display_name=shown_name, addr_spec=text)
        # The parser refuses a non-ASCII local part (RFC 6531 allows it, with SMTPUTF8); the checks
        # above leave no character that could break out of the address.
        return Address(display_name=shown_name, username=local, domain=domain)
    except (HeaderParseError, ValueError, IndexError):
        raise BadAddress("invalid") from None


def needs_smtputf8(address: Address) -> bool:
    """Whether the address itself (not its display name, which is encoded) is not ASCII."""
    return not address.addr_spec.isascii()


class AddressBox:
    """Encrypts and decrypts (address, link) pairs with the deployment's Fernet key."""

    def __init__(self, key: str) -> None:
        self._fernet = Fernet(key.encode("ascii"))

    def seal(self, address: str, link: str) -> str:
        return self._fernet.encrypt(json.dumps([address, link]).encode("utf-8")).decode("ascii")

    def seal_many(self, pairs: list[tuple[str, str]]) -> list[str]:
        return [self.seal(a, link) for a, link in pairs]

    def open(self, sealed: str) -> tuple[str, str] | None:
        """(address, link), or None when the text was sealed under another key or altered."""
        try:
            address, link = json.loads(self._fernet.decrypt(sealed.encode("ascii")))
        except (InvalidToken, ValueError, TypeError):
            return None
        return str(address), str(link)


def address_box(key: str) -> AddressBox | None:
    """The box for this key, or None when no key is set (then nothing is kept)."""
    return AddressBox(key) if key else None
