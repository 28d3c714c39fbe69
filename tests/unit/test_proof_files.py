"""What a proof file may be: sniffed types, refused names and sizes, clean re-encoded images and
decompression bombs (PDFs: test_proof_pdfs). Every file is made in memory."""

from __future__ import annotations

import io
import random
import struct
import threading
import time
import zlib

import pytest
from PIL import Image, ImageDraw
from pypdf import PdfWriter

from luckyclub.core.errors import UserError
from luckyclub.platform import uploads
from luckyclub.platform.uploads import MAX_PROOF_BYTES, check_upload


def image_bytes(fmt: str, size=(64, 48), color=(200, 30, 30), mode="RGB", **save) -> bytes:
    out = io.BytesIO()
    Image.new(mode, size, color).save(out, format=fmt, **save)
    return out.getvalue()


def screenshot(seed: int, size=(600, 400)) -> Image.Image:
    """A busy picture (coloured boxes), the same for the same seed, unlike other seeds'."""
    rnd = random.Random(seed)
    image = Image.new("RGB", size, "white")
    draw = ImageDraw.Draw(image)
    for _ in range(40):
        x, y = rnd.randrange(size[0]), rnd.randrange(size[1])
        box = [x, y, x + rnd.randrange(20, 200), y + rnd.randrange(20, 150)]
        draw.rectangle(box, fill=tuple(rnd.randrange(256) for _ in range(3)))
    return image


def jpeg_bytes(image: Image.Image, quality: int = 90) -> bytes:
    out = io.BytesIO()
    image.save(out, format="JPEG", quality=quality)
    return out.getvalue()


def pdf_bytes() -> bytes:
    """A plain one-page PDF (the PDF checks have their own tests in test_proof_pdfs)."""
    writer = PdfWriter()
    writer.add_blank_page(200, 200)
    out = io.BytesIO()
    writer.write(out)
    return out.getvalue()


def with_size_in_header(png: bytes, width: int, height: int) -> bytes:
    """A PNG whose IHDR claims another size (with a valid CRC): a decompression bomb's header."""
    assert png[12:16] == b"IHDR"
    ihdr = b"IHDR" + struct.pack(">II", width, height) + png[24:29]
    return png[:8] + png[8:12] + ihdr + struct.pack(">I", zlib.crc32(ihdr)) + png[33:]


def refusal(filename, data, claimed_type="") -> str:
    with pytest.raises(UserError) as caught:
        check_upload(filename, data, claimed_type)
    return caught.value.message


@pytest.mark.parametrize(
    "filename, data, claimed, content_type",
    [
        ("shot.png", image_bytes("PNG"), "image/png", "image/png"),
        ("photo.JPG", image_bytes("JPEG"), "image/jpeg", "image/jpeg"),
        ("photo.jpeg", image_bytes("JPEG"), "", "image/jpeg"),
        ("shot.webp", image_bytes("WEBP"), "image/webp", "image/webp"),
        ("receipt.pdf", pdf_bytes(), "application/pdf", "application/pdf"),
        ("no-extension", image_bytes("PNG"), "application/octet-stream", "image/png"),
    ],
)
def test_png_jpeg_webp_and_pdf_are_accepted(filename, data, claimed, content_type):
    checked = check_upload(filename, data, claimed)

    assert checked.file_type.content_type == content_type
    assert uploads.sniff(checked.data) is checked.file_type


def test_an_html_file_named_png_is_refused_whatever_its_name_says():
    html = b"<!doctype html><script>alert(document.cookie)</script>"

    message = refusal("evil.png", html, "image/png")

    assert message.startswith("“evil.png” is not a PNG, JPEG, WebP image or PDF")


def test_a_pdf_named_jpg_and_claiming_to_be_a_jpeg_is_refused():
    message = refusal("photo.jpg", pdf_bytes(), "image/jpeg")

    assert message.startswith("This file is a PDF, but its name says it is a JPEG image")
    assert ".pdf" in message


def test_a_png_the_browser_calls_html_is_refused():
    message = refusal("shot", image_bytes("PNG"), "text/html")

    assert "your browser says it is text/html" in message


@pytest.mark.parametrize(
    "filename", ["../evil.png", "folder/shot.png", "C:\\shot.png", "shot\x00.png", "a\u202egnp.exe"]
)
def test_names_with_folders_or_control_characters_are_refused(filename):
    assert refusal(filename, image_bytes("PNG")).startswith("File names cannot contain folders")


def test_an_empty_file_is_refused():
    assert "empty" in refusal("shot.png", b"")


def test_a_file_one_byte_over_10_mb_is_refused_with_the_limit_in_the_message():
    data = image_bytes("PNG") + b"\0" * MAX_PROOF_BYTES

    message = refusal("shot.png", data[: MAX_PROOF_BYTES + 1])

    assert "at most 10 MB" in message
    assert "10.1 MB" in message


def test_exif_gps_and_camera_tags_are_removed_by_the_re_encode():
    exif = Image.Exif()
    exif[0x010F] = "SpyCam Inc"  # Make
    exif[0x0110] = "Model X"  # Model
    exif[0x8825] = {1: "N", 2: (51.0, 30.0, 0.0)}  # GPS IFD
    original = image_bytes("JPEG", exif=exif.tobytes())
    assert b"SpyCam" in original

    cleaned = check_upload("photo.jpg", original).data

    assert b"SpyCam" not in cleaned
    with Image.open(io.BytesIO(cleaned)) as image:
        assert dict(image.getexif()) == {}
        assert "exif" not in image.info


def test_icc_profiles_and_text_chunks_are_removed_from_pngs():
    from PIL import ImageCms, PngImagePlugin

    text = PngImagePlugin.PngInfo()
    text.add_text("Comment", "secret location")
    icc = ImageCms.ImageCmsProfile(ImageCms.createProfile("sRGB")).tobytes()
    original = image_bytes("PNG", pnginfo=text, icc_profile=icc)

    cleaned = check_upload("shot.png", original).data

    with Image.open(io.BytesIO(cleaned)) as image:
        assert "icc_profile" not in image.info
        assert "Comment" not in image.info
    assert b"secret location" not in cleaned


def test_a_wide_image_is_downscaled_to_2000_pixels_keeping_its_aspect():
    checked = check_upload("wide.png", image_bytes("PNG", size=(5000, 1000), mode="L", color=0))

    assert (checked.width, checked.height) == (2000, 400)
    with Image.open(io.BytesIO(checked.data)) as image:
        assert image.size == (2000, 400)


def test_the_exif_orientation_is_applied_before_it_is_stripped():
    exif = Image.Exif()
    exif[0x0112] = 6  # stored sideways: rotate 90° clockwise to show
    original = image_bytes("JPEG", size=(80, 40), exif=exif.tobytes())

    checked = check_upload("phone.jpg", original)

    assert (checked.width, checked.height) == (40, 80)


@pytest.mark.parametrize("width, height", [(50_000, 50_000), (8000, 6000), (4500, 4000)])
def test_a_png_over_16_megapixels_is_refused_from_its_header_before_it_is_decoded(width, height):
    # The header claims the size; the pixels are one. Decoding would fail with another sentence.
    bomb = with_size_in_header(image_bytes("PNG", size=(1, 1)), width, height)

    message = refusal("bomb.png", bomb)

    assert message.startswith("This image could not be read: it is over 16 megapixels")


def test_a_progressive_jpeg_over_16_megapixels_is_refused_before_it_is_decoded(monkeypatch):
    # A progressive JPEG needs its whole coefficient buffer in memory whatever the scale.
    original = image_bytes("JPEG", size=(4500, 4000), color=(90, 90, 90), progressive=True)
    decoded = []
    monkeypatch.setattr(Image.Image, "load", lambda image: decoded.append(image))

    message = refusal("photo.jpg", original)

    assert message.startswith("This image could not be read: it is over 16 megapixels")
    assert decoded == []


def test_a_phone_photo_is_decoded_at_half_scale_and_stored():
    # 12 MP, 4032 x 3024: JPEG decodes at 1/2 scale when that still covers the stored 2000 x 1500.
    original = image_bytes("JPEG", size=(4032, 3024), color=(10, 120, 200))
    sizes = []
    load = Image.Image.load

    def recording_load(image):
        sizes.append(image.size)
        return load(image)

    with pytest.MonkeyPatch.context() as patch:
        patch.setattr(Image.Image, "load", recording_load)
        checked = check_upload("photo.jpg", original)

    assert (checked.width, checked.height) == (2000, 1500)
    assert max(sizes) == (2016, 1512)  # never the full 4032 x 3024


def test_no_more_than_two_images_are_decoded_at_once(monkeypatch):
    """Six members upload at the same moment: the process decodes two images at a time."""
    threads_at_once = 6
    inside: set[int] = set()
    most = [0]
    lock = threading.Lock()
    load, phash = Image.Image.load, uploads.imagehash.phash

    def decoding(image):  # the first pixels a thread decodes: it holds a decoding slot now
        with lock:
            entering = threading.get_ident() not in inside
            inside.add(threading.get_ident())
            most[0] = max(most[0], len(inside))
        if entering:
            time.sleep(0.2)  # a large image takes a while: the others arrive meanwhile
        return load(image)

    def hashing(image):  # the last step of an image's check
        try:
            return phash(image)
        finally:
            with lock:
                inside.discard(threading.get_ident())

    data = image_bytes("PNG", size=(600, 400))
    monkeypatch.setattr(Image.Image, "load", decoding)
    monkeypatch.setattr(uploads.imagehash, "phash", hashing)
    start = threading.Barrier(threads_at_once)
    stored = []

    def upload():
        start.wait()
        stored.append(check_upload("shot.png", data))

    threads = [threading.Thread(target=upload) for _ in range(threads_at_once)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()

    assert len(stored) == threads_at_once
    assert most[0] == 2


def test_a_damaged_image_is_refused_with_a_sentence():
    png = image_bytes("PNG", size=(300, 300))

    message = refusal("cut.png", png[: len(png) // 2])

    assert message.startswith("This image could not be read")


def test_a_pdf_without_an_end_marker_is_refused():
    assert "incomplete or damaged" in refusal("cut.pdf", pdf_bytes()[:-7])


def test_near_identical_images_have_close_perceptual_hashes_and_different_ones_do_not():
    original = check_upload("a.jpg", jpeg_bytes(screenshot(1), quality=95)).perceptual_hash
    recompressed = check_upload("b.jpg", jpeg_bytes(screenshot(1), quality=40)).perceptual_hash
    other = check_upload("c.jpg", jpeg_bytes(screenshot(2), quality=95)).perceptual_hash

    assert uploads.hamming_distance(original, recompressed) <= 6
    assert uploads.hamming_distance(original, other) > 6
