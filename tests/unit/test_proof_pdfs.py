"""PDF proofs: a plain PDF is accepted; one that can act (scripts, launches, form submissions,
imports, attachments, rich media) is refused wherever the action hides — behind a NUL, in an object
stream of any filter, in an object no table points to — and one pypdf cannot read is refused.
Every PDF is built here, byte by byte."""

from __future__ import annotations

import binascii
import io
import zlib

import pytest
from pypdf import PdfWriter
from pypdf.actions import JavaScript

from luckyclub.core.errors import UserError
from luckyclub.platform import upload_pdfs
from luckyclub.platform.uploads import check_upload

CATALOG = b"<< /Type /Catalog /Pages 2 0 R >>"
PAGES = b"<< /Type /Pages /Kids [3 0 R] /Count 1 >>"
PAGE = b"<< /Type /Page /Parent 2 0 R /MediaBox [0 0 200 200] >>"
ACTIVE = "PDFs with scripts or attachments are not accepted"
DAMAGED = "This PDF is incomplete or damaged"


def pdf_file(
    objects: dict[int, bytes],
    packed: dict[int, bytes] | None = None,
    *,
    encode=lambda data: data,
    filter_name: bytes = b"",
    listed: bool = True,
) -> bytes:
    """A PDF 1.5 file with a cross-reference stream. `objects` are written as they are; `packed`
    go into one object stream encoded with `encode` and named `filter_name`. With listed=False
    the object stream's members are left out of the cross-reference stream (orphans)."""
    out = bytearray(b"%PDF-1.7\n%\xe2\xe3\xcf\xd3\n")
    offsets: dict[int, int] = {}
    members: dict[int, tuple[int, int]] = {}
    for number, body in sorted(objects.items()):
        offsets[number] = len(out)
        out += b"%d 0 obj\n" % number + body + b"\nendobj\n"
    last = max(objects)
    if packed:
        stream_number = last = max(last, *packed) + 1
        header, bodies = [], b""
        for index, (number, body) in enumerate(sorted(packed.items())):
            header.append(b"%d %d" % (number, len(bodies)))
            bodies += body + b"\n"
            if listed:
                members[number] = (stream_number, index)
        head = b" ".join(header) + b"\n"
        data = encode(head + bodies)
        filter_entry = b" /Filter /" + filter_name if filter_name else b""
        offsets[stream_number] = len(out)
        out += b"%d 0 obj\n<< /Type /ObjStm /N %d /First %d /Length %d%s >>\nstream\n" % (
            stream_number,
            len(packed),
            len(head),
            len(data),
            filter_entry,
        )
        out += data + b"\nendstream\nendobj\n"
    xref_number = last + 1
    offsets[xref_number] = len(out)
    rows = b""
    for number in range(xref_number + 1):
        if number in offsets:
            rows += b"\x01" + offsets[number].to_bytes(4, "big") + b"\x00\x00"
        elif number in members:
            stream_number, index = members[number]
            rows += b"\x02" + stream_number.to_bytes(4, "big") + index.to_bytes(2, "big")
        else:
            rows += b"\x00" + b"\x00" * 4 + b"\xff\xff"
    out += b"%d 0 obj\n<< /Type /XRef /Size %d /W [1 4 2] /Root 1 0 R /Length %d >>\nstream\n" % (
        xref_number,
        xref_number + 1,
        len(rows),
    )
    out += rows + b"\nendstream\nendobj\nstartxref\n%d\n%%%%EOF\n" % offsets[xref_number]
    return bytes(out)


def plain_pdf(**extra: bytes) -> bytes:
    """One blank page; `extra` adds objects by number (`o4=b"..."`)."""
    objects = {1: CATALOG, 2: PAGES, 3: PAGE}
    objects.update({int(name[1:]): body for name, body in extra.items()})
    return pdf_file(objects)


def refusal(data: bytes) -> str:
    with pytest.raises(UserError) as caught:
        check_upload("receipt.pdf", data, "application/pdf")
    return caught.value.message


def test_a_plain_pdf_made_by_a_pdf_library_is_accepted():
    writer = PdfWriter()
    writer.add_blank_page(595, 842)
    writer.add_blank_page(595, 842)
    writer.add_metadata({"/Title": "Receipt"})
    out = io.BytesIO()
    writer.write(out)

    checked = check_upload("receipt.pdf", out.getvalue(), "application/pdf")

    assert checked.data == out.getvalue()


def test_a_plain_pdf_with_an_object_stream_and_a_link_is_accepted():
    link = b"<< /Type /Annot /Subtype /Link /Rect [0 0 50 50] "
    link += b"/A << /S /URI /URI (https://x.test) >> >>"
    page = b"<< /Type /Page /Parent 2 0 R /MediaBox [0 0 200 200] /Annots [4 0 R] >>"
    data = pdf_file(
        {1: CATALOG}, {2: PAGES, 3: page, 4: link}, encode=zlib.compress, filter_name=b"FlateDecode"
    )

    assert check_upload("receipt.pdf", data).file_type.content_type == "application/pdf"


def test_a_script_behind_a_nul_between_names_is_refused():
    # NUL is whitespace to a PDF reader: this is /S /JavaScript /JS (...).
    action = b"<< /S/JavaScript\x00/JS\x00(app.alert(1)) >>"
    catalog = b"<< /Type /Catalog /Pages 2 0 R /OpenAction " + action + b" >>"
    data = pdf_file({1: catalog, 2: PAGES, 3: PAGE})

    assert refusal(data).startswith(ACTIVE)


def test_a_script_in_an_ascii_hex_encoded_object_stream_is_refused():
    action = b"<< /S /JavaScript /JS (app.alert(1)) >>"
    catalog = b"<< /Type /Catalog /Pages 2 0 R /OpenAction 4 0 R >>"
    data = pdf_file(
        {1: catalog, 2: PAGES, 3: PAGE},
        {4: action},
        encode=lambda raw: binascii.hexlify(raw) + b">",
        filter_name=b"ASCIIHexDecode",
    )
    assert b"JavaScript" not in data

    assert refusal(data).startswith(ACTIVE)


def test_a_script_in_an_object_stream_no_table_lists_is_refused():
    action = b"<< /S /JavaScript /JS (app.alert(1)) >>"
    data = pdf_file(
        {1: CATALOG, 2: PAGES, 3: PAGE},
        {4: action},
        encode=zlib.compress,
        filter_name=b"FlateDecode",
        listed=False,
    )

    assert refusal(data).startswith(ACTIVE)


def test_a_script_added_by_a_pdf_library_is_refused():
    writer = PdfWriter()
    writer.add_blank_page(595, 842)
    writer.add_open_action(JavaScript("app.alert('hi');"))
    out = io.BytesIO()
    writer.write(out)

    assert refusal(out.getvalue()).startswith(ACTIVE)


def test_an_attachment_added_by_a_pdf_library_is_refused():
    writer = PdfWriter()
    writer.add_blank_page(595, 842)
    writer.add_attachment("payload.exe", b"MZ\x90\x00")
    out = io.BytesIO()
    writer.write(out)

    assert refusal(out.getvalue()).startswith(ACTIVE)


def _page_with(entries: bytes) -> bytes:
    return b"<< /Type /Page /Parent 2 0 R /MediaBox [0 0 200 200] " + entries + b" >>"


@pytest.mark.parametrize(
    "objects",
    [
        # the catalog's open action and additional actions
        {1: b"<< /Type /Catalog /Pages 2 0 R /OpenAction << /S /Launch /F (calc.exe) >> >>"},
        {
            1: b"<< /Type /Catalog /Pages 2 0 R /AA << /WC << /S /J#61vaScript /JS 5 0 R >> >> >>",
            5: b"(app.alert(1))",
        },
        # the document's named scripts and embedded files
        {
            1: b"<< /Type /Catalog /Pages 2 0 R /Names << /JavaScript 5 0 R >> >>",
            5: b"<< /Names [(a) << /S /JavaScript /JS (x) >>] >>",
        },
        {
            1: b"<< /Type /Catalog /Pages 2 0 R /Names << /EmbeddedFiles 5 0 R >> >>",
            5: b"<< /Names [] >>",
        },
        # a page's additional actions
        {3: _page_with(b"/AA << /O << /S /SubmitForm /F (https://evil.test) >> >>")},
        {3: _page_with(b"/AA << /O << /S /ImportData /F (data.fdf) >> >>")},
        # annotations
        {
            3: _page_with(b"/Annots [5 0 R]"),
            5: b"<< /Type /Annot /Subtype /FileAttachment /Rect [0 0 9 9] /FS 6 0 R >>",
            6: b"<< /Type /Filespec /F (a.exe) >>",
        },
        {
            3: _page_with(b"/Annots [5 0 R]"),
            5: b"<< /Type /Annot /Subtype /RichMedia /Rect [0 0 9 9] >>",
        },
        {
            3: _page_with(b"/Annots [5 0 R]"),
            5: b"<< /Type /Annot /Subtype /Widget /Rect [0 0 9 9] /AA << /K << /S /JavaScript "
            b"/JS (x) >> >> >>",
        },
        # a form field's action, an XFA form
        {
            1: b"<< /Type /Catalog /Pages 2 0 R /AcroForm << /Fields [5 0 R] >> >>",
            5: b"<< /FT /Btn /T (go) /A << /S /Launch /Win << /F (cmd.exe) >> >> >>",
        },
        {
            1: b"<< /Type /Catalog /Pages 2 0 R /AcroForm << /Fields [] /XFA 5 0 R >> >>",
            5: b"<< /Length 0 >>\nstream\n\nendstream",
        },
        # an embedded file stream no other object points to
        {5: b"<< /Type /EmbeddedFile /Length 4 >>\nstream\nMZ\x90\x00\nendstream"},
    ],
    ids=[
        "open-action-launch",
        "catalog-aa-hex-escaped-javascript",
        "names-javascript",
        "names-embedded-files",
        "page-aa-submit-form",
        "page-aa-import-data",
        "file-attachment-annotation",
        "rich-media-annotation",
        "widget-aa-javascript",
        "field-launch",
        "xfa-form",
        "orphan-embedded-file",
    ],
)
def test_a_pdf_that_can_act_or_carries_a_file_is_refused(objects):
    base = {1: CATALOG, 2: PAGES, 3: PAGE}
    base.update(objects)

    assert refusal(pdf_file(base)).startswith(ACTIVE)


def test_a_pdf_pypdf_cannot_read_is_refused_with_a_sentence():
    data = b"%PDF-1.7\n1 0 obj\n<< /Type /Catalog /Pages 2 0 R\ngarbage ]]]\n%%EOF\n"

    assert refusal(data).startswith(DAMAGED)


def test_an_encrypted_pdf_is_refused_with_a_sentence():
    writer = PdfWriter()
    writer.add_blank_page(595, 842)
    writer.encrypt(user_password="", owner_password="owner", algorithm="RC4-128")
    out = io.BytesIO()
    writer.write(out)

    assert "password-protected or encrypted" in refusal(out.getvalue())


def test_a_pdf_with_too_many_pages_is_refused_with_the_limit():
    writer = PdfWriter()
    for _ in range(upload_pdfs.MAX_PDF_PAGES + 1):
        writer.add_blank_page(100, 100)
    out = io.BytesIO()
    writer.write(out)

    message = refusal(out.getvalue())

    assert message.startswith("This PDF is too large to check")
    assert f"at most {upload_pdfs.MAX_PDF_PAGES} pages" in message


def test_a_pdf_with_too_many_objects_is_refused_with_a_sentence():
    many = {number: b"<< /N %d >>" % number for number in range(4, upload_pdfs.MAX_PDF_OBJECTS + 5)}

    assert refusal(plain_pdf(**{f"o{n}": body for n, body in many.items()})).startswith(
        "This PDF is too large to check"
    )


def test_a_deeply_nested_object_is_refused_not_crashed_on():
    deep = b"[" * 5000 + b"]" * 5000

    assert refusal(plain_pdf(o4=deep)).startswith(DAMAGED)
