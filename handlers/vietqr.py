"""VietQR: the EMVCo merchant-presented QR payload that Vietnamese banking apps
scan to fill in a transfer to an account (NAPAS VietQR specification), and its
PNG image.

Payload, as tag-length-value fields: 00 format "01"; 01 "11" (static QR);
38 the merchant account of NAPAS (00 GUID "A000000727", 01 the beneficiary
organisation: 00 the bank's BIN and 01 the account number; 02 service code
"QRIBFTTA", transfer to an account); 53 currency "704" (VND); 58 country "VN";
63 the CRC16-CCITT (polynomial 0x1021, initial 0xFFFF) of everything before it,
including "6304", as four upper-case hex digits.
"""

from __future__ import annotations

import binascii
import io

GUID = "A000000727"
SERVICE_ACCOUNT = "QRIBFTTA"


def _field(tag: str, value: str) -> str:
    if len(value) > 99:
        raise ValueError(f"field {tag} is too long")
    return f"{tag}{len(value):02d}{value}"


def crc16(data: str) -> str:
    """CRC16-CCITT (0x1021, start 0xFFFF) as four upper-case hex digits."""
    return f"{binascii.crc_hqx(data.encode('ascii'), 0xFFFF):04X}"


def payload(bin_code: str, account: str) -> str:
    """The VietQR text for a transfer to ``account`` at the bank ``bin_code``."""
    if not (bin_code.isdigit() and account.isdigit()):
        raise ValueError("BIN and account must be digits")
    beneficiary = _field("00", bin_code) + _field("01", account)
    merchant = _field("00", GUID) + _field("01", beneficiary) + _field("02", SERVICE_ACCOUNT)
    body = (
        _field("00", "01")
        + _field("01", "11")
        + _field("38", merchant)
        + _field("53", "704")
        + _field("58", "VN")
        + "6304"
    )
    return body + crc16(body)


def png(text: str) -> bytes:
    """The QR code of ``text`` as a PNG, large enough to scan from a phone screen."""
    import segno  # on first use: most processes never draw a QR code

    out = io.BytesIO()
    segno.make(text, error="m", micro=False).save(out, kind="png", scale=8, border=4)
    return out.getvalue()
