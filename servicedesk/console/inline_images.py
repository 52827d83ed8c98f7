"""A mail's HTML for the console's sandboxed frame, with its inline images.

A mail shows its pictures through ``cid:`` addresses that name its own
parts by Content-ID (RFC 2392).  They become ``data:`` URLs of the
message's stored attachment with that Content-ID, for PNG, JPEG, GIF and
WebP only, checked by their first bytes (never SVG or anything a browser
would run), each at most ``MAX_INLINE_IMAGE_BYTES``.  Any other source a
mail names (a foreign ``data:`` URL, a remote image) is left to the frame's
policy, which loads no image but ``data:``, so nothing fetches a remote
tracking pixel.

Why ``data:`` and not a link to the attachment route: the frame is
sandboxed without ``allow-same-origin``, so its requests are cross-site and
the browser sends no ``SameSite=Lax`` session cookie with them; a
permission-checked URL could never load there.  The HTML itself is fetched
with the session and checked by ``access`` like every attachment.
"""

from __future__ import annotations

import base64
from urllib.parse import unquote

import nh3
from sqlalchemy import select
from sqlalchemy.orm import Session

from servicedesk.models import Attachment, Message
from servicedesk.storage import Storage

MAX_INLINE_IMAGE_BYTES = 5 * 1024 * 1024
# The signature each type's data must start with.
IMAGE_SIGNATURES = {
    "image/png": (b"\x89PNG\r\n\x1a\n",),
    "image/jpeg": (b"\xff\xd8\xff",),
    "image/gif": (b"GIF87a", b"GIF89a"),
    "image/webp": (b"RIFF",),
}


def _is_image(content_type: str, data: bytes) -> bool:
    signatures = IMAGE_SIGNATURES.get(content_type)
    if signatures is None or not data.startswith(signatures):
        return False
    return content_type != "image/webp" or data[8:12] == b"WEBP"


def _content_id(value: str) -> str:
    return unquote(value).strip().strip("<>").strip()


def image_sources(session: Session, storage: Storage, message: Message) -> dict[str, str]:
    """Content-ID → ``data:`` URL of each inline image the message carries."""
    rows = session.execute(
        select(Attachment).where(
            Attachment.message_id == message.id,
            Attachment.content_id.is_not(None),
            Attachment.deleted_at.is_(None),
            Attachment.size <= MAX_INLINE_IMAGE_BYTES,
        )
    ).scalars()
    sources: dict[str, str] = {}
    for row in rows:
        content_type = (row.content_type or "").lower()
        if content_type not in IMAGE_SIGNATURES or not row.content_id:
            continue
        try:
            data = storage.read(row.storage_key)
        except (FileNotFoundError, ValueError):
            continue
        if len(data) > MAX_INLINE_IMAGE_BYTES or not _is_image(content_type, data):
            continue
        encoded = base64.b64encode(data).decode("ascii")
        sources.setdefault(_content_id(row.content_id), f"data:{content_type};base64,{encoded}")
    return sources


def frame_html(markup: str, sources: dict[str, str]) -> str:
    """``markup`` cleaned with nh3 (again: a row written by some other path
    can still never carry script), ``cid:`` images pointing at ``sources``."""

    def point(element: str, attribute: str, value: str) -> str | None:
        if not value.lower().startswith("cid:"):
            return value
        if (element, attribute) != ("img", "src"):
            return None
        return sources.get(_content_id(value[4:]))

    # nh3 checks URL schemes before the filter runs and not after: a mail's
    # own data: URL is removed, ours (from the filter) is kept.
    return nh3.clean(
        markup,
        url_schemes=set(nh3.ALLOWED_URL_SCHEMES) | {"cid"},
        attribute_filter=point,
    )
