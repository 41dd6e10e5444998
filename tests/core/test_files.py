"""Issue 13, defect 7: a PDF is judged by its structure (version header, ``%%EOF`` trailer at the
end, no HTML markup), not only by its first five bytes."""

from __future__ import annotations

import pytest

from marketplace.core import files

MINIMAL = b"%PDF-1.4\n%%EOF"
TYPICAL = (
    b"%PDF-1.7\n%\xe2\xe3\xcf\xd3\n1 0 obj\n<< /Type /Catalog /Pages 2 0 R >>\nendobj\n"
    b"2 0 obj\n<< /Type /Pages /Kids [] /Count 0 >>\nendobj\n"
    b"xref\n0 3\n0000000000 65535 f \ntrailer\n<< /Size 3 /Root 1 0 R >>\nstartxref\n9\n%%EOF\r\n"
)


@pytest.mark.parametrize(
    "content",
    [
        MINIMAL,
        TYPICAL,
        TYPICAL + b"\x00" * 500,  # padding after the trailer, as some writers leave
        b"%PDF-2.0\n" + bytes(range(256)) * 100 + b"\n%%EOF\n",  # binary streams
        TYPICAL.replace(b"%%EOF\r\n", b"%%EOF\n") + b"1 0 obj\n<<>>\nendobj\n%%EOF\n",  # incremental update
    ],
)
def test_real_pdfs_pass(content):
    assert files.sniff_content_type(content) == files.PDF


@pytest.mark.parametrize(
    "content",
    [
        b"%PDF-<html><body><script>alert(document.cookie)</script></body></html>",
        b"%PDF-1.4\n<!DOCTYPE html><html><script>alert(1)</script></html>\n%%EOF\n",
        b"%PDF-1.4\n<svg onload=alert(1)>\n%%EOF\n",
        b"%PDF-1.4\n" + TYPICAL[9:] + b"<iframe src=//evil.example>",
        b"%PDF-1.4\n1 0 obj <<>> endobj\n",  # no trailer
        b"%PDF-1.4\n%%EOF\n" + b"A" * 5000,  # %%EOF far from the end
        b"%PDF-\n%%EOF",  # no version
        b"%PDF-x.y\n%%EOF",
    ],
)
def test_html_and_truncated_files_starting_with_the_pdf_magic_are_refused(content):
    assert files.sniff_content_type(content) is None
    kind, problem = files.check_upload(content, allowed=(files.PDF,), max_bytes=10 * 1024 * 1024)
    assert kind is None and "不是 PDF" in problem
