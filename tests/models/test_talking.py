"""Generator-like pseudo-fakes for video (lip sync, animated stills), the mouth signals, and the clips
the synthetic-video detector trains on, read the way the companion reads a video."""
import numpy as np
import pytest

from models.faces.align import align_face
from models.serving.mouth_signals import MOUTH_SIGNAL_NAMES, mouth_signals
from models.synth.talking import animate_still, clip_damage, lip_sync, mouth_mask
from models.training.talking_data import (KINDS, LABELS, MOUTH_LABELS, TalkingBank, bank_of, camera_clip,
                                          follow_face, run_fakes)
from tests.helpers.media import astronaut_head


@pytest.fixture(scope="module")
def detector(face_assets_dir):
    from models.faces.detect import FaceDetector

    return FaceDetector(face_assets_dir)


@pytest.fixture(scope="module")
def scene():
    """The astronaut's head on a larger grey canvas (so a background exists around it)."""
    head = astronaut_head()
    canvas = np.full((head.shape[0] + 120, head.shape[1] + 160, 3), 120, np.uint8)
    canvas[60:60 + head.shape[0], 80:80 + head.shape[1]] = head
    return canvas


@pytest.fixture(scope="module")
def keypoints(detector, scene):
    return np.asarray(detector.detect(scene)[0].keypoints, dtype=np.float64)


def far_from(keypoints, shape, radius):
    """Pixels farther than `radius` from the mouth keypoint."""
    ys, xs = np.mgrid[0:shape[0], 0:shape[1]]
    return np.hypot(xs - keypoints[3][0], ys - keypoints[3][1]) > radius


def test_lip_sync_replaces_the_mouth_and_nothing_far_from_it(scene, keypoints):
    donor = np.ascontiguousarray(scene[:, ::-1])  # another "moment": the mirrored face
    donor_kp = keypoints.copy()
    donor_kp[:, 0] = scene.shape[1] - 1 - keypoints[:, 0]
    donor_kp = donor_kp[[1, 0, 2, 3]]
    out = lip_sync([scene] * 3, np.stack([keypoints] * 3), [donor] * 3, np.stack([donor_kp] * 3),
                   np.random.default_rng(0))
    iod = np.linalg.norm(keypoints[1] - keypoints[0])
    diff = np.abs(out[0].astype(int) - scene.astype(int)).sum(axis=2)
    assert diff[far_from(keypoints, scene.shape, 1.6 * iod)].max() == 0
    assert diff[~far_from(keypoints, scene.shape, 0.2 * iod)].mean() > 3
    with pytest.raises(ValueError):
        lip_sync([scene] * 3, np.stack([keypoints] * 3), [donor], np.stack([donor_kp]), np.random.default_rng(0))


def test_the_mouth_mask_covers_the_mouth_and_not_the_eyes(keypoints, scene):
    mask = mouth_mask(keypoints, scene.shape[:2], np.random.default_rng(3))
    mx, my = np.rint(keypoints[3]).astype(int)
    ex, ey = np.rint(keypoints[0]).astype(int)
    assert mask[my, mx] > 0.9 and mask[ey, ex] == 0.0


def test_an_animated_still_moves_the_jaw_but_keeps_the_background(scene, keypoints):
    frames = animate_still(scene, keypoints, np.random.default_rng(1), 12)
    assert len(frames) == 12 and all(f.shape == scene.shape and f.dtype == np.uint8 for f in frames)
    stack = np.stack(frames).astype(int)
    moving = np.abs(stack - stack[:1]).max(axis=0).sum(axis=2)
    iod = np.linalg.norm(keypoints[1] - keypoints[0])
    chin = np.rint(keypoints[3] + [0, 0.5 * iod]).astype(int)
    assert moving[chin[1] - 5:chin[1] + 5, chin[0] - 5:chin[0] + 5].max() > 10
    assert moving[:10, :10].max() <= 1 and moving[-10:, -10:].max() <= 1  # the corners stay put


def test_clip_damage_is_drawn_once_and_applied_alike_to_every_frame(scene):
    clip = [np.roll(scene, 3 * i, axis=1) for i in range(6)]
    kinds = set()
    for seed in range(12):
        damage = clip_damage(np.random.default_rng(seed))
        a, b = damage(clip), damage(clip)
        assert len(a) == 6 and all(np.array_equal(x, y) for x, y in zip(a, b))  # drawn once, not per call
        assert len({frame.shape for frame in a}) == 1 and a[0].dtype == np.uint8  # every frame alike
        kinds.add(a[0].shape)
    assert len(kinds) > 3  # the damage itself is drawn at random per clip


def test_h264_keeps_the_clip_and_its_motion():
    from models.synth.talking import h264_round_trip

    clip = [np.roll(astronaut_head(), 4 * i, axis=1) for i in range(8)]
    out = h264_round_trip(clip, crf=23, preset="veryfast")
    h, w = (s // 2 * 2 for s in clip[0].shape[:2])
    assert len(out) == 8 and out[0].shape == (h, w, 3)
    errors = [np.abs(o.astype(int) - c[:h, :w].astype(int)).mean() for o, c in zip(out, clip)]
    assert 0 < max(errors) < 12  # lossy, but each frame is still its own frame


def test_a_camera_clip_moves_the_whole_photo_smoothly(scene):
    frames = np.stack(camera_clip(scene, np.random.default_rng(2), 10)).astype(float)
    steps = np.abs(np.diff(frames, axis=0)).mean(axis=(1, 2, 3))
    assert steps.max() < 6 and steps.mean() > 0.05


def test_mouth_signals_of_a_still_clip_show_no_change(scene, keypoints):
    crop = align_face(scene, keypoints)[0]
    values = mouth_signals(np.stack([crop] * 5))
    assert values.shape == (5, len(MOUTH_SIGNAL_NAMES))
    change = [MOUTH_SIGNAL_NAMES.index(n) for n in ("mouth_change", "rest_change", "mouth_slip_x", "mouth_slip_y")]
    assert np.allclose(values[:, change], 0.0, atol=1e-4)
    assert np.allclose(values[1:, :4], values[0, :4])  # the still measures the same in every frame


def test_a_pasted_mouth_changes_more_than_the_rest_of_the_face(scene, keypoints):
    animated = animate_still(scene, keypoints, np.random.default_rng(4), 8)
    synced = lip_sync([scene] * 8, np.stack([keypoints] * 8), animated, np.stack([keypoints] * 8),
                      np.random.default_rng(5))
    crops = np.stack([align_face(f, keypoints)[0] for f in synced])
    values = mouth_signals(crops)[1:]
    mouth, rest = MOUTH_SIGNAL_NAMES.index("mouth_change"), MOUTH_SIGNAL_NAMES.index("rest_change")
    assert values[:, mouth].mean() > 2 * values[:, rest].mean() + 0.05


def test_follow_face_cuts_the_crops_and_regions_the_companion_cuts(detector, scene):
    from models.serving.analysis import find_faces

    frames = camera_clip(scene, np.random.default_rng(6), 4)
    track = follow_face(frames, detector)
    regions = []
    _, crops = find_faces(list(frames), detector, 64, regions=regions)
    assert np.array_equal(track.crops, crops)
    assert all(np.array_equal(a, b) for a, b in zip(track.regions, regions))
    assert track.keypoints.shape == (4, 4, 2)
    assert follow_face([np.full((200, 200, 3), 90, np.uint8)], detector) is None


def test_every_fake_kind_of_a_run_is_made_and_labelled(detector, scene):
    frames = camera_clip(scene, np.random.default_rng(7), 6)
    track = follow_face(frames, detector)
    fakes = run_fakes(frames, track.keypoints, None, None, np.random.default_rng(8))
    assert set(fakes) == {"lip_sync", "animated", "flicker"} and all(len(v) == 6 for v in fakes.values())
    assert all(LABELS[k] == 1 for k in fakes) and LABELS["real"] == LABELS["still"] == 0
    assert MOUTH_LABELS["flicker"] == -1 and MOUTH_LABELS["lip_sync"] == 1 and MOUTH_LABELS["real"] == 0


def test_a_bank_pads_clips_keeps_labels_and_round_trips(detector, scene, tmp_path):
    frames = camera_clip(scene, np.random.default_rng(9), 6)
    long_track, short_track = follow_face(frames, detector), follow_face(frames[:3], detector)
    features = lambda track: np.ones((len(track.crops), 5), np.float32) * len(track.crops)  # noqa: E731
    bank = bank_of([(long_track, "real", 1, "a"), (long_track, "lip_sync", 1, "a"), (short_track, "still", 2, "b")],
                   features, length=8, min_frames=4)
    assert bank.features.shape == (2, 8, 5) and bank.masks.sum(axis=1).tolist() == [6, 6]
    assert bank.labels.tolist() == [0, 1] and [KINDS[k] for k in bank.kinds] == ["real", "lip_sync"]
    assert bank.features[0, 6:].max() == 0
    bank.save(tmp_path / "b.npz")
    again = TalkingBank.load(tmp_path / "b.npz")
    assert np.array_equal(again.features, bank.features) and again.sources.tolist() == ["a", "a"]
    assert bank_of([(short_track, "real", 1, "a")], features, 8, 4) is None
