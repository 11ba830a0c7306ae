"""Every source kind of the dataset read into one list of rows, and the face index over them."""
import numpy as np
import pytest

from models.training import sources
from models.training.face_index import build_face_index
from tests.models.dataset_fixture import MANIFEST_ROWS, make_dataset


@pytest.fixture(scope="module")
def root(tmp_path_factory):
    return make_dataset(tmp_path_factory.mktemp("datasets"))


def test_every_source_kind_is_read_with_its_label_role_and_kind(root):
    rows = {r.path: r for r in sources.all_rows(root, kind=None)}
    for path, label, kind, role in MANIFEST_ROWS:
        assert (rows[path].label, rows[path].kind, rows[path].role) == (int(label == "fake"), kind, role)
    assert rows["fakes/generated/gan_a/f0.jpg"].source == "fakes/generated/gan_a"
    assert rows["lfw-gray/images/g0.jpg"].source == "lfw-gray"
    assert [rows[f"aaf/images/a{i}.jpg"].role for i in range(3)] == ["train", "train", "val"]
    assert rows["real-videos/d0.mp4"].kind == "video" and rows["real-videos/d0.mp4"].label == 0
    web = [r for r in rows.values() if r.source == "web-faces"]
    assert len(web) == 3 and {r.role for r in web} == {"val"}  # all three fall in the evaluation slice
    assert len(sources.all_rows(root)) == len([r for r in rows.values() if r.kind == "image"])


def test_select_keeps_roles_labels_and_sources(root):
    rows = sources.all_rows(root)
    train_fakes = sources.select(rows, ("train",), label=1)
    assert {r.source for r in train_fakes} == {"fakes/generated/gan_a", "fakes/generated/gan_b"}
    assert not any(r.role == "holdout" for r in sources.select(rows, ("train", "val")))
    assert {r.path for r in sources.select(rows, ("holdout",), sources=("lfw-color",))} == {
        "lfw-color/images/l0.jpg", "lfw-color/images/l1.jpg"}


def test_a_bad_role_in_the_manifest_is_a_typed_error(tmp_path):
    (tmp_path / "manifest-v2.csv").write_text(
        "file,label,kind,source_repo,source_path,method,role,transform,sha256\n"
        "x/a.jpg,real,image,r,p,m,testing,none,0\n")
    with pytest.raises(sources.SourceError, match="bad label/role/kind"):
        sources.manifest_rows(tmp_path)
    with pytest.raises(sources.SourceError, match="not found"):
        sources.aaf_rows(tmp_path)


def test_the_choose_fold_is_stable_disjoint_and_about_its_fraction():
    rows = [sources.MediaRow(f"s/{i}.jpg", 0, "s", "train") for i in range(4000)]
    fit, choose = sources.split_train(rows, 0.2)
    assert not {r.path for r in fit} & {r.path for r in choose}
    assert len(fit) + len(choose) == 4000
    assert 0.17 < len(choose) / 4000 < 0.23
    assert [r.path for r in sources.split_train(rows, 0.2)[1]] == [r.path for r in choose]


def test_the_face_index_finds_faces_with_outlines_and_resumes_from_its_cache(root, tmp_path, face_assets_dir):
    rows = [r for r in sources.all_rows(root) if r.source in ("utkface", "fakes/generated/gan_a")]
    blank = root / "blank" / "b.jpg"
    blank.parent.mkdir(exist_ok=True)
    import cv2

    cv2.imwrite(str(blank), np.full((120, 120, 3), 128, np.uint8))
    rows.append(sources.MediaRow("blank/b.jpg", 0, "blank", "train"))
    cache = tmp_path / "faces.jsonl"
    faces = build_face_index(rows, root, cache)
    assert faces["blank/b.jpg"] is None
    face = faces["utkface/images/u0.jpg"]
    x, y, w, h = face.box
    assert 0 <= x < face.width and 0 <= y < face.height and w > 40 and h > 40
    assert face.outline.oval.shape == (36, 2) and face.outline.inner.shape == (9, 2)
    lines = cache.read_text().splitlines()
    assert len(lines) == len(rows)

    class Refuses:
        def detect(self, image):
            raise AssertionError("a cached file was detected again")

    again = build_face_index(rows, root, cache, detector=Refuses())
    assert again["utkface/images/u0.jpg"].to_json() == face.to_json()
    assert cache.read_text().splitlines() == lines
