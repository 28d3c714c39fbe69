"""What a PDF proof may carry: pages to look at, nothing that acts. Every object in the file is
parsed with pypdf (whatever its filters, inside object streams too) and the PDF is refused when
any of them is a script, a launch, a form submission or an embedded file.

Blocking and CPU-bound: callers run it in a thread, never on the event loop.
"""

from __future__ import annotations

import io
import re

from pypdf import PdfReader, apply_configuration
from pypdf.generic import (
    ArrayObject,
    DictionaryObject,
    NameObject,
    NumberObject,
    PdfObject,
    StreamObject,
    read_object,
)

from luckyclub.core.errors import UserError

# A receipt or a statement has a few pages and a few hundred objects; a file far past these limits
# is either not a proof or made to keep the server busy.
MAX_PDF_PAGES = 100
MAX_PDF_OBJECTS = 10_000
# Decoding object streams stops here, per stream and in all (a PDF can be a zip bomb too).
MAX_PDF_INFLATED_BYTES = 64 * 1024 * 1024
_MAX_NESTING = 100

# Action types that run something, send something or open something other than this PDF.
_ACTIVE_ACTIONS = {
    "/JavaScript",
    "/Launch",
    "/SubmitForm",
    "/ImportData",
    "/GoToE",  # go to an embedded file
    "/Rendition",  # media renditions may carry a script (/JS)
    "/RichMediaExecute",
}
# Names that, as the value of any key, mark an action, an attachment or embedded media.
_ACTIVE_VALUES = _ACTIVE_ACTIONS | {"/EmbeddedFile", "/FileAttachment", "/RichMedia"}
# Keys that hold scripts, attachments or XFA forms (which carry scripts) wherever they appear:
# /JavaScript and /EmbeddedFiles in the document's /Names, /EF in a file specification.
_ACTIVE_KEYS = {"/JavaScript", "/EmbeddedFiles", "/EF", "/XFA", "/RichMediaContent"}

# "N G obj" anywhere in the file: every object a reader can find, whatever the cross-reference
# table says (a repairing reader rebuilds it the same way). PDF whitespace includes NUL.
_PDF_WHITESPACE_BYTES = b"\x00\t\n\x0c\r "
_PDF_WHITESPACE = re.compile(rb"[\x00\t\n\x0c\r ]+")
_OBJECT_HEADER = re.compile(rb"(?<![0-9])\d{1,10}[\x00\t\n\x0c\r ]+\d{1,5}[\x00\t\n\x0c\r ]+obj")

_ACTIVE = (
    "PDFs with scripts or attachments are not accepted; export it again as a plain PDF "
    "or send a screenshot."
)
_DAMAGED = "This PDF is incomplete or damaged. Export it again, or send a screenshot instead."
_ENCRYPTED = (
    "This PDF is password-protected or encrypted, so it cannot be checked. Print it to a new "
    "PDF without protection, or send a screenshot instead."
)
_TOO_BIG = (
    f"This PDF is too large to check (at most {MAX_PDF_PAGES} pages). Send only the pages that "
    "show your proof, or a screenshot instead."
)


class _Active(Exception):
    """Something that acts was found: the PDF is refused, whatever else it holds."""


class _TooBig(Exception):
    pass


def check_pdf(data: bytes) -> None:
    """Refuse (UserError) a PDF pypdf cannot read, an encrypted one, one past the size limits,
    or one with a script, launch, form submission, data import or embedded file anywhere."""
    if not data.startswith(b"%PDF-") or b"%%EOF" not in data:
        raise UserError(_DAMAGED)
    limits = {
        "zlib_maximum_output_length": MAX_PDF_INFLATED_BYTES,
        "lzw_maximum_output_length": MAX_PDF_INFLATED_BYTES,
        "run_length_maximum_output_length": MAX_PDF_INFLATED_BYTES,
        "brotli_maximum_output_length": MAX_PDF_INFLATED_BYTES,
        "array_based_stream_maximum_output_length": MAX_PDF_INFLATED_BYTES,
        "stream_decoding_work_maximum_length": 2 * MAX_PDF_INFLATED_BYTES,
        "page_tree_maximum_entries": 4 * MAX_PDF_PAGES,
    }
    try:
        with apply_configuration(None, **limits):
            _check(data)
    except _Active:
        raise UserError(_ACTIVE) from None
    except _TooBig:
        raise UserError(_TOO_BIG) from None
    except UserError:
        raise
    except Exception:  # pypdf's errors, recursion, a bad seek: unreadable means the same here
        raise UserError(_DAMAGED) from None


def _check(data: bytes) -> None:
    reader = PdfReader(io.BytesIO(data), strict=False)
    if reader.is_encrypted:
        raise UserError(_ENCRYPTED)
    if len(reader.pages) > MAX_PDF_PAGES:
        raise _TooBig
    _inspect(reader.trailer)
    walk = _Walk(reader)
    stream = io.BytesIO(data)
    for header in _OBJECT_HEADER.finditer(data):
        stream.seek(header.start())
        reader.read_object_header(stream)
        walk.visit(read_object(stream, reader))


class _Walk:
    """Every object of one file, each inspected once, within the object and decoding budgets."""

    def __init__(self, reader: PdfReader) -> None:
        self.reader = reader
        self.objects_left = MAX_PDF_OBJECTS
        self.bytes_left = MAX_PDF_INFLATED_BYTES

    def visit(self, obj: PdfObject) -> None:
        self.objects_left -= 1
        if self.objects_left < 0:
            raise _TooBig
        _inspect(obj)
        # A stream is an object stream by its /Type, or to a reader that does not look at the type,
        # by its /First (the offset of its first object). An image's /N is not enough.
        if isinstance(obj, StreamObject) and (
            _resolved(obj, "/Type") == "/ObjStm" or "/First" in obj
        ):
            for inner in self._objects_in_stream(obj):
                self.visit(inner)

    def _objects_in_stream(self, objstm: StreamObject) -> list[PdfObject]:
        """The objects of a PDF 1.5 object stream, parsed at the offsets its header gives (where a
        reader looks for them), whatever filters the stream is encoded with."""
        decoded = objstm.get_data()
        self.bytes_left -= len(decoded)
        if self.bytes_left < 0:
            raise _TooBig
        count, first = _resolved(objstm, "/N"), _resolved(objstm, "/First")
        if not isinstance(count, NumberObject) or not isinstance(first, NumberObject):
            raise ValueError("object stream without /N or /First")
        if count > self.objects_left:
            raise _TooBig
        if count < 0 or not 0 <= first <= len(decoded):
            raise ValueError("object stream with an impossible /N or /First")
        numbers = _PDF_WHITESPACE.split(decoded[: int(first)].strip(_PDF_WHITESPACE_BYTES))
        numbers = numbers[: 2 * int(count)]
        if len(numbers) < 2 * int(count) or not all(n.isdigit() for n in numbers):
            raise ValueError("object stream header is not a list of numbers")
        stream = io.BytesIO(decoded)
        found = []
        for offset in numbers[1::2]:
            position = int(first) + int(offset)
            while position < len(decoded) and decoded[position] in _PDF_WHITESPACE_BYTES:
                position += 1  # as readers do when an offset points at whitespace
            stream.seek(position)
            found.append(read_object(stream, self.reader))
        return found


def _resolved(obj: DictionaryObject, key: str) -> PdfObject | None:
    """The value under key with a reference followed (`get` would return the reference)."""
    value = obj.get(key)
    return value.get_object() if value is not None else None


def _inspect(top: PdfObject) -> None:
    """Look through one object and what it holds directly (references are objects of their own,
    each inspected in turn), without recursion: nesting is attacker-controlled."""
    pending: list[tuple[PdfObject, int]] = [(top, 0)]
    while pending:
        obj, depth = pending.pop()
        if depth > _MAX_NESTING:
            raise ValueError("nested too deeply")
        if isinstance(obj, DictionaryObject):  # stream dictionaries included
            _inspect_dictionary(obj)
            pending.extend((value, depth + 1) for value in obj.values())
        elif isinstance(obj, ArrayObject):
            pending.extend((value, depth + 1) for value in obj)
        elif isinstance(obj, NameObject):
            _inspect_name(obj)


def _inspect_dictionary(obj: DictionaryObject) -> None:
    for key in obj:
        _inspect_name(key)
    if any(key in _ACTIVE_KEYS for key in obj):
        raise _Active
    if "/JS" in obj and "/S" in obj:  # a script, whatever the action type says
        raise _Active
    for value in obj.values():
        if isinstance(value, NameObject) and value in _ACTIVE_VALUES:
            raise _Active


def _inspect_name(name: str) -> None:
    """NUL ends a name for a PDF reader but not for pypdf, which reads `/JavaScript\x00/JS` as
    one name: judge the name a reader sees, and refuse a file that pypdf reads differently."""
    if "\x00" not in name:
        return
    if name.split("\x00", 1)[0] in _ACTIVE_KEYS | _ACTIVE_VALUES | {"/JS"}:
        raise _Active
    raise ValueError("a NUL inside a name: pypdf and readers would see different objects")
