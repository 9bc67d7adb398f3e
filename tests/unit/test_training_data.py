"""Checking an artist's training upload: good zips and folders, and every kind of bad upload, each refused with
the right status and code and a message that names the files."""

from __future__ import annotations

import io
import os

import pytest
from PIL import Image

from atelier.errors import AtelierError
from tests.train_data import art_entries, art_zip, image_bytes, make_zip, zip_bomb, zip_with_symlink
from worker.training_data import TrainLimits, assign_classes, check_folder, check_zip

LIMITS = TrainLimits(min_images=8, max_images=40, max_upload_bytes=5 * 2**20, max_uncompressed_bytes=32 * 2**20,
                     max_files=100, max_ratio=200, max_pixels=1_000_000)


def refused(data: bytes, *, image_size: int = 32, limits: TrainLimits = LIMITS) -> AtelierError:
    with pytest.raises(AtelierError) as info:
        check_zip(data, image_size=image_size, limits=limits)
    return info.value


def test_a_zip_of_one_folder_is_an_unconditional_rgb_set():
    data = check_zip(art_zip(16), image_size=32, limits=LIMITS)
    assert len(data.images) == 16 and data.classes == () and data.channels == 3
    assert data.labels == [0] * 16 and data.note is None
    assert data.images[0].name == "my-art/img-000.png" and (data.images[0].width, data.images[0].height) == (48, 40)
    assert data.summary() == {"images": 16, "classes": [], "per_class": {}, "channels": 3, "ignored_files": 0,
                              "note": None}


def test_sub_folders_with_enough_images_become_classes():
    data = check_zip(art_zip(16, classes=("cats", "dogs")), image_size=32, limits=LIMITS)
    assert data.classes == ("cats", "dogs")
    assert data.summary()["per_class"] == {"cats": 8, "dogs": 8}
    assert [data.classes[i] for i in data.labels[:4]] == ["cats", "dogs", "cats", "dogs"]


def test_sub_folders_with_too_few_images_are_not_classes_and_the_note_says_why():
    data = check_zip(art_zip(12, classes=("a", "b", "c")), image_size=32, limits=LIMITS)  # 4 each
    assert data.classes == () and data.labels == [0] * 12
    assert "at least 8" in data.note and "a (4)" in data.note


def test_assign_classes_edge_cases():
    assert assign_classes(["x/1.png", "x/2.png"]) == ([None, None], None)  # one folder: nothing to tell apart
    labels, note = assign_classes([f"{c}/{i}.png" for c in "ab" for i in range(8)] + ["loose.png"])
    assert set(labels) == {None} and "outside any folder" in note
    labels, _ = assign_classes([f"top/{c}/deeper/{i}.png" for c in "ab" for i in range(8)])
    assert labels[:1] == ["a"] and labels[-1] == "b"  # deeper folders belong to their class folder


def test_grey_images_make_a_grey_set_even_when_saved_as_rgb():
    entries = art_entries(8, mode="L")
    grey_as_rgb = {}
    for i in range(8):
        buf = io.BytesIO()
        Image.open(io.BytesIO(image_bytes(50 + i, mode="L"))).convert("RGB").save(buf, format="PNG")
        grey_as_rgb[f"my-art/rgb-{i}.png"] = buf.getvalue()
    assert check_zip(make_zip(entries | grey_as_rgb), image_size=32, limits=LIMITS).channels == 1
    colour = {"my-art/colour.png": image_bytes(999)}
    assert check_zip(make_zip(entries | colour), image_size=32, limits=LIMITS).channels == 3


def test_junk_is_skipped_and_other_files_are_counted():
    entries = art_entries(8) | {"__MACOSX/my-art/._img-000.png": b"junk", "my-art/.DS_Store": b"junk",
                                "my-art/notes.txt": b"hello", "my-art/": b""}
    data = check_zip(make_zip(entries), image_size=32, limits=LIMITS)
    assert len(data.images) == 8 and data.ignored == ["my-art/notes.txt"]


def test_not_a_zip_is_415():
    err = refused(image_bytes(1))
    assert (err.http_status, err.code) == (415, "not_a_zip") and "not a zip" in err.message


def test_password_protected_zip_is_415():
    raw = bytearray(art_zip(8))
    # Mark every entry encrypted, as a zip tool with a password does: bit 0 of the general-purpose flags, in the
    # central directory (the headers zipfile reads first; Python's zipfile cannot write encrypted zips itself).
    at = raw.find(b"PK\x01\x02")
    while at != -1:
        raw[at + 8] |= 0x1
        at = raw.find(b"PK\x01\x02", at + 4)
    err = refused(bytes(raw))
    assert (err.http_status, err.code) == (415, "encrypted_zip")


def test_zip_bomb_by_compression_ratio_is_413_before_expanding():
    err = refused(zip_bomb(16), limits=TrainLimits(**{**LIMITS.__dict__, "max_uncompressed_bytes": 1 << 30}))
    assert (err.http_status, err.code) == (413, "zip_bomb") and "bomb/evil.png" in err.message


def test_zip_expanding_past_the_limit_is_413():
    small = TrainLimits(**{**LIMITS.__dict__, "max_uncompressed_bytes": 20_000})
    err = refused(art_zip(16), limits=small)  # ~5 KiB each expanded, 16 of them
    assert (err.http_status, err.code) == (413, "zip_bomb") and "expand" in err.message


def test_too_many_entries_is_413():
    entries = art_entries(8) | {f"my-art/empty-{i}/": b"" for i in range(100)}
    err = refused(make_zip(entries))
    assert (err.http_status, err.code) == (413, "too_many_files")


@pytest.mark.parametrize("name", ["../evil.png", "/etc/evil.png", "my-art/../../evil.png", "C:\\\\evil.png",
                                  "C:/evil.png", "my-art\\\\..\\\\..\\\\evil.png"])
def test_names_escaping_the_zip_are_refused_by_name(name):
    err = refused(make_zip(art_entries(8) | {name: image_bytes(77)}))
    assert (err.http_status, err.code) == (422, "unsafe_path") and name in err.message


def test_a_symlink_entry_is_refused():
    err = refused(zip_with_symlink(8))
    assert err.code == "unsafe_path" and "my-art/passwd.png" in err.message


def test_no_images_says_what_was_found():
    err = refused(make_zip({"readme.txt": b"hi", "data.csv": b"1,2"}))
    assert (err.http_status, err.code) == (422, "no_images") and "readme.txt" in err.message
    assert refused(make_zip({})).code == "no_images"


def test_too_few_and_too_many_images():
    few = refused(art_zip(5))
    assert (few.http_status, few.code) == (422, "too_few_images") and "5 images" in few.message
    many = refused(art_zip(41))
    assert (many.http_status, many.code) == (413, "too_many_images") and "41" in many.message


def test_corrupt_and_truncated_files_are_listed():
    good = art_entries(8)
    bad = {"my-art/truncated.png": image_bytes(5)[:200], "my-art/text.jpg": b"not an image at all",
           "my-art/truncated.jpg": image_bytes(6, fmt="JPEG")[:300]}
    err = refused(make_zip(good | bad))
    assert (err.http_status, err.code) == (422, "corrupt_images")
    assert all(name in err.message for name in bad)


def test_exact_duplicates_are_listed_in_pairs():
    entries = art_entries(8)
    entries["my-art/copy-of-3.png"] = entries["my-art/img-003.png"]
    err = refused(make_zip(entries))
    assert err.code == "duplicate_images" and "my-art/img-003.png = my-art/copy-of-3.png" in err.message


def test_images_smaller_than_the_resolution_are_listed_with_their_size():
    err = refused(art_zip(10), image_size=64)  # 48x40 images, 64 px training
    assert (err.http_status, err.code) == (422, "images_too_small") and "my-art/img-000.png (48x40)" in err.message
    assert err.message.endswith("and 2 more.")  # 8 named, the rest counted


def test_every_problem_is_reported_at_once():
    entries = art_entries(8) | {"my-art/broken.png": b"\x89PNG\r\n\x1a\nbroken", "my-art/tiny.png":
                                image_bytes(9, size=(10, 10))}
    entries["my-art/dup.png"] = entries["my-art/img-000.png"]
    err = refused(make_zip(entries))
    assert err.code == "corrupt_images"
    assert "broken.png" in err.message and "tiny.png (10x10)" in err.message and "dup.png" in err.message


def test_a_folder_is_checked_like_a_zip(tmp_path):
    root = tmp_path / "art"
    for name, data in art_entries(16, classes=("ink", "wash"), root="").items():
        (root / name).parent.mkdir(parents=True, exist_ok=True)
        (root / name).write_bytes(data)
    data = check_folder(root, image_size=32, limits=LIMITS)
    assert data.classes == ("ink", "wash") and len(data.images) == 16
    os.symlink("/etc/passwd", root / "ink" / "link.png")
    with pytest.raises(AtelierError) as info:
        check_folder(root, image_size=32, limits=LIMITS)
    assert info.value.code == "unsafe_path" and "ink/link.png" in info.value.message
