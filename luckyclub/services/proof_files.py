"""What a proof file may be, checked from its bytes: the type sniffed from its content, images
re-encoded without metadata and downscaled, PDFs refused when they carry scripts or attachments
(see `proof_pdfs`).

Pure functions, no database: `proofs.submit` calls `check_upload` and stores what it returns.
"""

from __future__ import annotations

import hashlib
import io
import math
import unicodedata
from dataclasses import dataclass

import imagehash
from PIL import Image

from luckyclub.services.errors import UserError
from luckyclub.services.proof_pdfs import check_pdf

MAX_PROOF_BYTES = 10 * 1024 * 1024
# A screenshot or phone photo is far below this; a decompression bomb is not.
MAX_IMAGE_PIXELS = 40_000_000
MAX_IMAGE_SIDE = 2000
MAX_NAME_LENGTH = 255


@dataclass(frozen=True)
class FileType:
    label: str  # as a sentence names it: "a PNG image"
    content_type: str
    extension: str  # of the stored file and of the name it is downloaded as
    pil_format: str | None  # None: not an image


PNG = FileType("a PNG image", "image/png", ".png", "PNG")
JPEG = FileType("a JPEG image", "image/jpeg", ".jpg", "JPEG")
WEBP = FileType("a WebP image", "image/webp", ".webp", "WEBP")
PDF = FileType("a PDF", "application/pdf", ".pdf", None)
FILE_TYPES = (PNG, JPEG, WEBP, PDF)

_BY_EXTENSION = {
    "png": PNG,
    "jpg": JPEG,
    "jpeg": JPEG,
    "jpe": JPEG,
    "jfif": JPEG,
    "webp": WEBP,
    "pdf": PDF,
}
_BY_CLAIMED_TYPE = {
    "image/png": PNG,
    "image/x-png": PNG,
    "image/jpeg": JPEG,
    "image/jpg": JPEG,
    "image/pjpeg": JPEG,
    "image/webp": WEBP,
    "application/pdf": PDF,
    "application/x-pdf": PDF,
}
# What browsers send when they do not know: says nothing about the file, so it is not a mismatch.
_UNKNOWN_CLAIMED_TYPES = {
    "",
    "application/octet-stream",
    "binary/octet-stream",
    "application/unknown",
}

_TRY_AGAIN = "Send a screenshot (PNG, JPEG or WebP) or a PDF instead."
_TOO_MANY_PIXELS = (
    f"This image could not be read: it is over {MAX_IMAGE_PIXELS // 1_000_000} megapixels. "
    "Send a screenshot or a smaller photo instead."
)
_UNREADABLE_IMAGE = (
    "This image could not be read. Take the screenshot again, or save it again as PNG or JPEG, "
    "and send that."
)


@dataclass(frozen=True)
class CheckedFile:
    """An upload that passed every check, ready to store."""

    data: bytes  # what is stored: the re-encoded image, or the PDF as it was sent
    file_type: FileType
    # SHA-256 of the upload as sent, not of `data`: the same file sent twice has the same bytes,
    # while re-encoded bytes depend on the Pillow version and settings of the day they were made.
    sha256: str
    perceptual_hash: str | None  # images only: 64-bit pHash as hex, for near-duplicates
    width: int | None = None
    height: int | None = None


IMAGE_TYPES = (PNG, JPEG, WEBP)
NOT_A_PROOF = "“{name}” is not a PNG, JPEG, WebP image or PDF. " + _TRY_AGAIN
NOT_A_PICTURE = (
    "“{name}” is not a PNG, JPEG or WebP image. Save the picture as one of those and upload that."
)


def check_upload(
    filename: str,
    data: bytes,
    claimed_type: str = "",
    *,
    allowed: tuple[FileType, ...] = FILE_TYPES,
    refusal: str = NOT_A_PROOF,
) -> CheckedFile:
    """Every check a proof file must pass, in the order a person can fix them; raises UserError.

    Other uploads narrow `allowed` (a prize picture: IMAGE_TYPES) and say so in `refusal`, the
    sentence for any other content ({name} is the file's name)."""
    name = check_filename(filename)
    check_size(data)
    file_type = sniff(data)
    if file_type not in allowed:
        raise UserError(refusal.format(name=_shown(name)))
    check_name_matches(name, file_type)
    check_claimed_type_matches(claimed_type, file_type)
    digest = hashlib.sha256(data).hexdigest()
    if file_type is PDF:
        check_pdf(data)
        return CheckedFile(data=data, file_type=PDF, sha256=digest, perceptual_hash=None)
    image = clean_image(data, file_type)
    return CheckedFile(
        data=image.data,
        file_type=file_type,
        sha256=digest,
        perceptual_hash=image.perceptual_hash,
        width=image.width,
        height=image.height,
    )


# ---- name, size, type -----------------------------------------------------------------------


def _shown(name: str) -> str:
    return name if len(name) <= 60 else name[:57] + "…"


def _is_control(ch: str) -> bool:
    # Cc: NUL, newlines, escapes. Cf: invisible format marks such as the right-to-left override
    # that makes "photo‮gnp.exe" display as "photoexe.png".
    return unicodedata.category(ch) in {"Cc", "Cf", "Zl", "Zp"}


def check_filename(filename: str) -> str:
    name = (filename or "").strip()
    if not name:
        raise UserError("Choose a file to send.")
    if "/" in name or "\\" in name or ".." in name or any(_is_control(ch) for ch in name):
        raise UserError(
            "File names cannot contain folders, “..” or control characters. "
            "Rename the file to something simple, like proof.png, and try again."
        )
    if len(name) > MAX_NAME_LENGTH:
        raise UserError(
            f"File names can be at most {MAX_NAME_LENGTH} characters. "
            "Rename the file to something shorter and try again."
        )
    return name


def check_size(data: bytes) -> None:
    if not data:
        raise UserError("This file is empty. Choose the screenshot or PDF again and send it.")
    if len(data) > MAX_PROOF_BYTES:
        # Rounded up, so a file just over the limit never reads as "10.0 MB".
        size_mb = math.ceil(len(data) * 10 / (1024 * 1024)) / 10
        raise UserError(
            f"This file is {size_mb:.1f} MB; proofs can be at most "
            f"{MAX_PROOF_BYTES // (1024 * 1024)} MB. "
            "Send a smaller screenshot, or crop it, and try again."
        )


def sniff(data: bytes) -> FileType | None:
    """The file's real type from its first bytes, whatever its name says."""
    if data.startswith(b"\x89PNG\r\n\x1a\n"):
        return PNG
    if data.startswith(b"\xff\xd8\xff"):
        return JPEG
    if len(data) >= 12 and data[:4] == b"RIFF" and data[8:12] == b"WEBP":
        return WEBP
    if data.startswith(b"%PDF-"):
        return PDF
    return None


def _extension(name: str) -> str:
    return name.rsplit(".", 1)[1].lower() if "." in name else ""


def check_name_matches(name: str, file_type: FileType) -> None:
    """The name's extension must agree with the content (a name without one says nothing)."""
    extension = _extension(name)
    if not extension:
        return
    named = _BY_EXTENSION.get(extension)
    if named is file_type:
        return
    fix = f"Rename it to end in {file_type.extension}, or send the original file, and try again."
    if named is None:
        raise UserError(
            f"This file is {file_type.label}, but its name ends in .{_shown(extension)}. {fix}"
        )
    raise UserError(f"This file is {file_type.label}, but its name says it is {named.label}. {fix}")


def check_claimed_type_matches(claimed_type: str, file_type: FileType) -> None:
    """The type the browser sent (from the name, usually) must agree with the content too."""
    claimed = (claimed_type or "").split(";", 1)[0].strip().lower()
    if claimed in _UNKNOWN_CLAIMED_TYPES or _BY_CLAIMED_TYPE.get(claimed) is file_type:
        return
    said = _BY_CLAIMED_TYPE[claimed].label if claimed in _BY_CLAIMED_TYPE else _shown(claimed)
    raise UserError(
        f"This file is {file_type.label}, but your browser says it is {said}. "
        "Send the original screenshot or PDF, not a renamed copy."
    )


# ---- images ---------------------------------------------------------------------------------


@dataclass(frozen=True)
class CleanImage:
    data: bytes
    perceptual_hash: str
    width: int
    height: int


# EXIF orientation → the transpose that shows the image upright (as ImageOps.exif_transpose does).
_ORIENTATION = {
    2: Image.Transpose.FLIP_LEFT_RIGHT,
    3: Image.Transpose.ROTATE_180,
    4: Image.Transpose.FLIP_TOP_BOTTOM,
    5: Image.Transpose.TRANSPOSE,
    6: Image.Transpose.ROTATE_270,
    7: Image.Transpose.TRANSVERSE,
    8: Image.Transpose.ROTATE_90,
}
_SAVE_OPTIONS = {
    "PNG": {"compress_level": 6},
    "JPEG": {"quality": 88},
    "WEBP": {"quality": 88, "method": 4},
}


def clean_image(data: bytes, file_type: FileType) -> CleanImage:
    """Decode (refusing decompression bombs), turn upright, downscale to MAX_IMAGE_SIDE, and
    re-encode in the same format from bare pixels: no EXIF, GPS, XMP, ICC or text chunks survive.
    """
    # Pillow's own guard raises DecompressionBombError above twice its global limit (and warns
    # above it); our lower limit is checked from the header, before any pixel is decoded. The
    # global limit and warning filters are left alone: they are process-wide, and we run threads.
    try:
        with Image.open(io.BytesIO(data), formats=[file_type.pil_format]) as image:
            if image.width * image.height > MAX_IMAGE_PIXELS:
                raise UserError(_TOO_MANY_PIXELS)
            orientation = _orientation(image)
            image.seek(0)  # animated PNG/WebP: the first frame is the proof
            mode = _storable_mode(image, file_type)
            if file_type is JPEG:
                image.draft(mode, (MAX_IMAGE_SIDE, MAX_IMAGE_SIDE))  # decode at a reduced scale
            working = image if image.mode == mode else image.convert(mode)
            working.thumbnail((MAX_IMAGE_SIDE, MAX_IMAGE_SIDE), Image.Resampling.LANCZOS)
            # A brand-new image holding only the pixels: Pillow's savers fall back to `info` for
            # some metadata (the PNG saver re-writes an ICC profile found there).
            pixels = Image.frombytes(mode, working.size, working.tobytes())
        if transpose := _ORIENTATION.get(orientation):
            pixels = pixels.transpose(transpose)
        out = io.BytesIO()
        pixels.save(out, format=file_type.pil_format, **_SAVE_OPTIONS[file_type.pil_format])
    except UserError:
        raise
    except (Image.DecompressionBombError, Image.DecompressionBombWarning):
        raise UserError(_TOO_MANY_PIXELS)  # noqa: B904 - the sentence replaces Pillow's message
    except Exception:  # any failure to parse untrusted bytes means the same to the sender
        raise UserError(_UNREADABLE_IMAGE)  # noqa: B904
    return CleanImage(
        data=out.getvalue(),
        perceptual_hash=str(imagehash.phash(pixels)),
        width=pixels.width,
        height=pixels.height,
    )


def _orientation(image: Image.Image) -> int:
    try:
        return int(image.getexif().get(0x0112, 1))
    except Exception:  # broken EXIF: show the image as it is stored rather than refuse it
        return 1


def _storable_mode(image: Image.Image, file_type: FileType) -> str:
    """The pixel mode to re-encode in: the image's own when the format stores it, else RGB(A)."""
    has_alpha = image.mode in {"RGBA", "LA", "PA", "RGBa", "La"} or "transparency" in image.info
    if file_type is JPEG:
        return "L" if image.mode == "L" else "RGB"
    # A transparent colour key ("transparency" in info) needs a real alpha channel instead.
    if (
        file_type is PNG
        and image.mode in {"RGB", "RGBA", "L", "LA"}
        and not image.info.get("transparency")
    ):
        return image.mode
    return "RGBA" if has_alpha else "RGB"


def hamming_distance(hash_a: str, hash_b: str) -> int:
    """How many of the 64 bits two perceptual hashes differ in (0: the same picture).
    Plain integers: the review of one upload compares it with thousands of earlier ones."""
    return (int(hash_a, 16) ^ int(hash_b, 16)).bit_count()
