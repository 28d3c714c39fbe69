"""A winner's video is recognised by its first bytes, whatever its name says."""

from luckyclub.platform.winner_media import MP4, WEBM, sniff_video

MP4_HEAD = b"\x00\x00\x00\x18ftypmp42\x00\x00\x00\x00mp42isom" + b"\x00" * 32
WEBM_HEAD = b"\x1a\x45\xdf\xa3\x9f\x42\x86\x81\x01\x42\xf7\x81\x01\x42\x82\x84webm" + b"\x00" * 16


def test_mp4_and_webm_are_recognised_by_their_headers():
    assert sniff_video(MP4_HEAD) is MP4
    assert sniff_video(WEBM_HEAD) is WEBM


def test_text_quicktime_and_truncated_headers_are_not_videos():
    assert sniff_video(b"just some words, named clip.mp4") is None
    assert sniff_video(b"\x00\x00\x00\x14ftypqt  \x00\x00\x00\x00qt  " + b"\x00" * 16) is None
    assert sniff_video(b"\x00\x00\x00\x18ftypmp42") is None  # the box is longer than the data
    assert sniff_video(b"\x1a\x45\xdf\xa3" + b"\x00" * 40) is None  # EBML, but not WebM
