"""What a proof file may be, checked from its bytes: the type sniffed from its content, images
re-encoded without metadata and downscaled, PDFs refused when they carry scripts or attachments
(see `proof_pdfs`).

Pure functions, no database: `proofs.submit` calls `check_upload` and stores what it returns.
"""

from __future__ import annotations

import ctypes
import hashlib
import io
import math
import threading
import unicodedata
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass

import imagehash
from PIL import Image

from luckyclub.core.errors import UserError
from luckyclub.platform.upload_pdfs import check_pdf

MAX_PROOF_BYTES = 10 * 1024 * 1024
# Images decoded at full size (PNG, WebP, progressive JPEG): 16 MP is 64 MB of RGBA at the most.
# A screenshot (3-4 MP) or a phone photo (12 MP) is below it; a decompression bomb is not.
MAX_IMAGE_PIXELS = 16_000_000
# A baseline JPEG decodes at 1/2, 1/4 or 1/8 scale (Pillow's draft), so a 48 MP phone photo
# decodes to 12 MP at the most; above this, its coefficients alone would not be small.
MAX_JPEG_PIXELS = 50_000_000
MAX_IMAGE_SIDE = 2000
# Decoding is the moment an upload takes memory (~100 MB for a large image): at most this many
# files are decoded at once in the process, the others wait their turn.
DECODING_AT_ONCE = 2
_DECODING = threading.BoundedSemaphore(DECODING_AT_ONCE)
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
    "This image could not be read: it is over {megapixels} megapixels. "
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
        with decoding_slot():
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
    # above it); our lower limits are checked from the header, before any pixel is decoded and
    # before waiting for a decoding slot. The global limit and warning filters are left alone:
    # they are process-wide, and we run threads.
    pil_format = file_type.pil_format
    if pil_format is None:
        raise ValueError(f"clean_image was given {file_type.label}, which is not an image")
    try:
        with Image.open(io.BytesIO(data), formats=[pil_format]) as image:
            cap = _pixel_cap(image, file_type)
            if image.width * image.height > cap:
                raise UserError(_TOO_MANY_PIXELS.format(megapixels=cap // 1_000_000))
            with decoding_slot():
                pixels = _upright_pixels(image, file_type)
                out = io.BytesIO()
                pixels.save(out, format=pil_format, **_SAVE_OPTIONS[pil_format])
                perceptual_hash = str(imagehash.phash(pixels))
    except UserError:
        raise
    except (Image.DecompressionBombError, Image.DecompressionBombWarning):
        # the sentence replaces Pillow's message
        raise UserError(_TOO_MANY_PIXELS.format(megapixels=MAX_IMAGE_PIXELS // 1_000_000)) from None
    except Exception:  # any failure to parse untrusted bytes means the same to the sender
        raise UserError(_UNREADABLE_IMAGE) from None
    return CleanImage(
        data=out.getvalue(),
        perceptual_hash=perceptual_hash,
        width=pixels.width,
        height=pixels.height,
    )


def _pixel_cap(image: Image.Image, file_type: FileType) -> int:
    # A progressive JPEG keeps every coefficient of the full image while it decodes.
    if file_type is JPEG and not image.info.get("progressive"):
        return MAX_JPEG_PIXELS
    return MAX_IMAGE_PIXELS


def _fitted(size: tuple[int, int]) -> tuple[int, int]:
    """The stored size: the longer side at most MAX_IMAGE_SIDE, the aspect kept."""
    width, height = size
    scale = min(1.0, MAX_IMAGE_SIDE / max(width, height))
    return max(1, round(width * scale)), max(1, round(height * scale))


# Modes that resample well as they are; others (palette, 1-bit, CMYK) are converted first.
_RESIZABLE_MODES = {"RGB", "RGBA", "L", "LA"}


def _upright_pixels(image: Image.Image, file_type: FileType) -> Image.Image:
    """The first frame's pixels at the stored size, upright, in a brand-new image: Pillow's savers
    fall back to `info` for some metadata (the PNG saver re-writes an ICC profile found there)."""
    orientation = _orientation(image)  # may read a PNG to its end: inside the decoding slot
    image.seek(0)  # animated PNG/WebP: the first frame is the proof
    mode = _storable_mode(image, file_type)
    size = _fitted(image.size)
    if file_type is JPEG:
        # Decode at 1/2, 1/4 or 1/8 scale when that still covers the stored size.
        image.draft(mode, size)
    working = image
    if working.mode not in _RESIZABLE_MODES:
        working = working.convert(mode)
    if working.size != size:
        # reducing_gap: first shrink by a whole factor (cheap, little memory), then resample.
        working = working.resize(size, Image.Resampling.LANCZOS, reducing_gap=3.0)
    if working.mode != mode:
        working = working.convert(mode)
    pixels = Image.frombytes(mode, working.size, working.tobytes())
    if transpose := _ORIENTATION.get(orientation):
        pixels = pixels.transpose(transpose)
    return pixels


@contextmanager
def decoding_slot() -> Iterator[None]:
    """Hold one of the DECODING_AT_ONCE slots while a file is decoded; afterwards, give the
    memory freed back to the system (glibc keeps large freed blocks in its heaps otherwise)."""
    with _DECODING:
        try:
            yield
        finally:
            _give_back_freed_memory()


def _malloc_trim():
    try:
        return ctypes.CDLL(None).malloc_trim  # glibc only
    except (OSError, AttributeError):
        return None


_MALLOC_TRIM = _malloc_trim()


def _give_back_freed_memory() -> None:
    if _MALLOC_TRIM is not None:
        _MALLOC_TRIM(0)


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
