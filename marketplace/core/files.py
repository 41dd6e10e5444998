"""Uploaded files: what a file is (decided by its content, never by its name or the browser's
content type), a display name safe in pages and headers, and storage in the database (table
``stored_file``) under random names. Shared by scenario and proposal attachments.

Why the database: several app hosts share one database and nothing else, so a file any host
accepted is served by every other, and a database backup (``marketplace backup``) holds the
attachments with the rows that name them. Files are small (10 MB at most, a few per scenario or
proposal)."""

from __future__ import annotations

import re
import struct
import unicodedata
import uuid

from marketplace.core.tables import StoredFile

PDF = "application/pdf"
PNG = "image/png"
JPEG = "image/jpeg"
EXTENSIONS = {PDF: ".pdf", PNG: ".png", JPEG: ".jpg"}
TYPE_LABELS = {PDF: "PDF", PNG: "PNG 图片", JPEG: "JPEG 图片"}
_NAME_EXTENSIONS = {PDF: (".pdf",), PNG: (".png",), JPEG: (".jpg", ".jpeg")}


_PDF_HEADER = re.compile(rb"%PDF-[12]\.\d")
# Where readers look for the end-of-file marker (the last 1024 bytes, as Acrobat does).
_PDF_TAIL = 1024
# HTML a browser would render (tags with a script, frame, or document meaning), whatever the case,
# followed by a delimiter. Only distinctive tags: a two-letter one (<p, <a) occurs by chance in
# compressed PDF streams.
_HTML_MARKUP = re.compile(
    rb"<(?:!doctype|html|head|body|script|iframe|frame|object|embed|svg|img|meta|style|form|base|link)"
    rb"[\s/>]",
    re.IGNORECASE,
)


def is_pdf(content: bytes) -> bool:
    """A PDF by its structure: the ``%PDF-1.x``/``%PDF-2.x`` header, an ``%%EOF`` marker in the
    last 1024 bytes (a truncated or appended-to file has none), and no HTML markup anywhere (a
    page that starts with ``%PDF-`` to pass as a PDF and would run as HTML if a browser sniffed
    it). An uncompressed PDF that quotes HTML tags in its text is refused too: rare, and safe."""
    return (
        _PDF_HEADER.match(content) is not None
        and b"%%EOF" in content[-_PDF_TAIL:]
        and _HTML_MARKUP.search(content) is None
    )


def sniff_content_type(content: bytes) -> str | None:
    """The content type of a PDF, PNG or JPEG judged by its bytes, or None for anything else.

    PNG must start with its signature followed by an IHDR chunk of plausible size; JPEG with a
    start-of-image marker followed by another marker, and end with an end-of-image marker
    (trailing padding allowed); PDF as ``is_pdf`` says.
    """
    if content.startswith(b"%PDF-"):
        return PDF if is_pdf(content) else None
    if content.startswith(b"\x89PNG\r\n\x1a\n") and len(content) >= 33 and content[12:16] == b"IHDR":
        width, height = struct.unpack(">II", content[16:24])
        if 0 < width <= 100_000 and 0 < height <= 100_000:
            return PNG
    if content.startswith(b"\xff\xd8\xff") and b"\xff\xd9" in content[-64:]:
        return JPEG
    return None


def clean_filename(name: str, content_type: str = PDF) -> str:
    """A display name safe in headers and pages: no path (``../../etc/passwd.pdf`` becomes
    ``passwd.pdf``), no control characters, at most 150 characters, ending in an extension that
    fits ``content_type``."""
    name = unicodedata.normalize("NFC", name or "").replace("\\", "/").rsplit("/", 1)[-1]
    name = "".join(ch for ch in name if unicodedata.category(ch)[0] != "C").strip().strip(".")
    name = re.sub(r"\s+", " ", name)[:150] or "附件"
    if name.lower().endswith(_NAME_EXTENSIONS[content_type]):
        return name
    return name + EXTENSIONS[content_type]


def check_upload(
    content: bytes, *, allowed: tuple[str, ...], max_bytes: int
) -> tuple[str | None, str | None]:
    """(content type, None) for an acceptable file, or (None, why not) in Chinese."""
    if not content:
        return None, "文件是空的。"
    if len(content) > max_bytes:
        return None, f"文件过大：最大 {max_bytes // (1024 * 1024)} MB。"
    kind = sniff_content_type(content)
    if kind not in allowed:
        names = "、".join(TYPE_LABELS[a] for a in allowed)
        return None, f"只能上传 {names} 文件（文件内容不是 {names}）。"
    return kind, None


async def store_file(content: bytes, content_type: str = PDF) -> str:
    """Keep ``content`` under a random name (never the uploaded one) and return that name.

    Runs in the caller's transaction when there is one: a refused attachment row takes its file
    with it."""
    name = f"{uuid.uuid4().hex}{EXTENSIONS[content_type]}"
    await StoredFile.insert(
        StoredFile(name=name, content_type=content_type, size=len(content), content=content)
    )
    return name


async def read_file(name: str) -> bytes | None:
    """The bytes stored under ``name``, or None when there are none."""
    row = await StoredFile.select(StoredFile.content).where(StoredFile.name == name).first()
    return None if row is None else bytes(row["content"])


async def delete_file(name: str) -> None:
    await StoredFile.delete().where(StoredFile.name == name)
