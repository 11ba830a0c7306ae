"""Frame reading: probing, frame-accurate sampling with both strategies, the auto choice, clips, bad files."""
from __future__ import annotations

import time
from fractions import Fraction

import cv2
import numpy as np
import pytest

from models.serving.frames import (VideoDecodeError, VideoTooLong, clip_starts, probe_video, sample_clips,
                           sample_frames, segment_centres)
from tests.helpers.media import index_frame, make_face_video, make_index_video, make_long_video, read_frame_index

SIZE = (320, 240)


@pytest.fixture(scope="module")
def videos(tmp_path_factory):
    """Index-carrying videos: mp4v (key frame every 12), H.264 with key frames every 30 and every 300."""
    folder = tmp_path_factory.mktemp("frames")
    return {
        "mp4v_gop12": make_index_video(folder / "mp4v.mp4", 600, SIZE),
        "h264_gop30": make_index_video(folder / "h264_30.mp4", 900, SIZE, gop=30),
        "h264_gop300": make_index_video(folder / "h264_300.mp4", 900, SIZE, gop=300),
    }


def assert_true_indices(frames, expected):
    """Each frame is the one it claims to be (its bar code) and the ones we asked for."""
    assert [f.index for f in frames] == expected
    assert [read_frame_index(f.image) for f in frames] == expected


def test_probe_reports_size_rate_count_and_duration(videos):
    info = probe_video(videos["mp4v_gop12"])
    assert (info.width, info.height, info.frame_count) == (320, 240, 600)
    assert info.fps == pytest.approx(30.0)
    assert info.duration == pytest.approx(20.0)


def test_segment_centres_cover_the_whole_video():
    assert segment_centres(100, 4) == [12, 37, 62, 87]
    assert segment_centres(5, 32) == [0, 1, 2, 3, 4]
    assert segment_centres(0, 8) == []
    centres = segment_centres(1800, 32)
    assert len(set(centres)) == 32 and centres[0] < 1800 / 32 and centres[-1] > 1800 - 1800 / 32


@pytest.mark.parametrize("name", ["mp4v_gop12", "h264_gop30", "h264_gop300"])
@pytest.mark.parametrize("strategy", ["seek", "grab", "auto"])
def test_every_strategy_returns_the_exact_frames(videos, name, strategy):
    path = videos[name]
    frames = sample_frames(path, 16, strategy=strategy)
    expected = segment_centres(probe_video(path).frame_count, 16)
    assert_true_indices(frames, expected)
    for frame in frames:
        assert frame.image.shape == (240, 320, 3) and frame.image.dtype == np.uint8
        assert frame.timestamp == pytest.approx(frame.index / 30.0, abs=0.02)


def test_auto_seeks_when_key_frames_are_close(videos):
    stats = {}
    sample_frames(videos["h264_gop30"], 8, stats=stats)
    assert stats["strategy"] == "seek"
    stats = {}
    sample_frames(videos["mp4v_gop12"], 8, stats=stats)
    assert stats["strategy"] == "seek"


def test_auto_grabs_through_when_key_frames_are_far_apart(videos):
    stats = {}
    frames = sample_frames(videos["h264_gop300"], 32, stats=stats)
    assert stats["strategy"] == "grab"
    assert_true_indices(frames, segment_centres(900, 32))


def test_a_seek_that_lands_elsewhere_falls_back_to_reading_in_order(tmp_path):
    """Variable frame rate: OpenCV's index->time seek lands on the wrong frame; the check catches it."""
    import av

    path = tmp_path / "vfr.mp4"
    with av.open(str(path), "w") as container:
        stream = container.add_stream("libx264", rate=30)
        stream.width, stream.height, stream.pix_fmt = SIZE[0], SIZE[1], "yuv420p"
        stream.codec_context.time_base = Fraction(1, 90000)
        stream.options = {"preset": "superfast", "g": "30"}
        pts = 0
        for i in range(300):
            frame = av.VideoFrame.from_ndarray(index_frame(i, SIZE), format="rgb24")
            frame.pts, frame.time_base = pts, Fraction(1, 90000)
            pts += 3000 if (i // 50) % 2 == 0 else 6000  # 30 fps and 15 fps stretches
            for packet in stream.encode(frame):
                container.mux(packet)
        for packet in stream.encode():
            container.mux(packet)
    stats = {}
    frames = sample_frames(path, 16, strategy="seek", stats=stats)
    assert stats["strategy"] == "grab-after-missed-seek"
    assert_true_indices(frames, segment_centres(300, 16))


def test_clips_are_runs_of_consecutive_true_frames(videos):
    for strategy in ("seek", "grab", "auto"):
        clips = sample_clips(videos["h264_gop30"], 4, 8, strategy=strategy)
        starts = clip_starts(900, 4, 8)
        assert len(clips) == 4
        for clip, start in zip(clips, starts):
            assert_true_indices(clip, list(range(start, start + 8)))


def test_clip_starts_spread_and_clip_inside_short_videos():
    assert clip_starts(100, 2, 10) == [22, 68]  # starts 0..90, centres of two halves
    assert clip_starts(5, 3, 10) == [0]
    assert clip_starts(20, 4, 8) == [1, 4, 8, 11]  # overlapping runs, as training takes them
    assert clip_starts(20, 4, 8, distinct=True) == [1, 11]  # two runs of 8 in halves of 10 frames
    assert clip_starts(12, 4, 8, distinct=True) == [2]
    assert clip_starts(900, 4, 8, distinct=True) == clip_starts(900, 4, 8)  # far apart already


def test_frames_are_rgb_and_can_be_shrunk(tmp_path):
    path = tmp_path / "red.mp4"
    writer = cv2.VideoWriter(str(path), cv2.VideoWriter_fourcc(*"mp4v"), 10, (640, 480))
    for _ in range(20):
        writer.write(np.dstack([np.zeros((480, 640), np.uint8)] * 2 + [np.full((480, 640), 230, np.uint8)]))
    writer.release()
    frames = sample_frames(path, 3, max_side=320)
    assert frames[0].image.shape == (240, 320, 3)
    red, green, blue = frames[0].image[120, 160]
    assert red > 200 and green < 40 and blue < 40


def test_face_video_fixture_is_readable(tmp_path):
    path = make_face_video(tmp_path / "face.mp4", seconds=1, size=(320, 180), fps=10)
    info = probe_video(path)
    assert (info.width, info.height, info.frame_count) == (320, 180, 10)
    assert len(sample_frames(path, 4)) == 4


def test_a_ten_hour_video_is_refused_from_its_header(tmp_path):
    path = make_long_video(tmp_path / "long.mp4", seconds=10 * 3600)
    started = time.perf_counter()
    with pytest.raises(VideoTooLong) as caught:
        probe_video(path, max_duration_s=1800)
    assert caught.value.duration == pytest.approx(36000, rel=0.01)
    with pytest.raises(VideoTooLong):
        sample_frames(path, 32, max_duration_s=1800)
    assert time.perf_counter() - started < 2.0
    assert probe_video(path).duration == pytest.approx(36000, rel=0.01)  # no limit, no refusal


def test_missing_count_is_measured_by_decoding(tmp_path):
    """A raw H.264 stream has no frame count (OpenCV reports nonsense); frames are counted instead."""
    import av

    path = tmp_path / "raw.h264"
    with av.open(str(path), "w", format="h264") as container:
        stream = container.add_stream("libx264", rate=25)
        stream.width, stream.height, stream.pix_fmt = SIZE[0], SIZE[1], "yuv420p"
        stream.options = {"preset": "superfast"}
        for i in range(50):
            for packet in stream.encode(av.VideoFrame.from_ndarray(index_frame(i, SIZE), format="rgb24")):
                container.mux(packet)
        for packet in stream.encode():
            container.mux(packet)
    cap = cv2.VideoCapture(str(path))
    assert cap.get(cv2.CAP_PROP_FRAME_COUNT) <= 0  # the case this test is about
    cap.release()
    info = probe_video(path)
    assert info.frame_count == 50
    with pytest.raises(VideoTooLong):
        probe_video(path, max_duration_s=1.0)
    assert_true_indices(sample_frames(path, 5), segment_centres(50, 5))


def test_overstated_count_is_corrected_and_samples_respread(tmp_path):
    """A cut-off Matroska file still announces its full length; sampling finds the real end."""
    import av

    full = tmp_path / "full.mkv"
    with av.open(str(full), "w", format="matroska") as container:
        stream = container.add_stream("libx264", rate=30)
        stream.width, stream.height, stream.pix_fmt = SIZE[0], SIZE[1], "yuv420p"
        stream.options = {"preset": "superfast", "g": "30"}
        for i in range(300):
            for packet in stream.encode(av.VideoFrame.from_ndarray(index_frame(i, SIZE), format="rgb24")):
                container.mux(packet)
        for packet in stream.encode():
            container.mux(packet)
    cut = tmp_path / "cut.mkv"
    cut.write_bytes(full.read_bytes()[: full.stat().st_size // 2])
    assert probe_video(cut).frame_count == 300  # what the header claims
    cap, real_count = cv2.VideoCapture(str(cut)), 0
    while cap.grab():
        real_count += 1
    cap.release()
    assert 100 < real_count < 300
    for strategy in ("seek", "grab", "auto"):
        assert_true_indices(sample_frames(cut, 8, strategy=strategy), segment_centres(real_count, 8))


def test_files_that_are_not_videos_raise_decode_errors(tmp_path, videos):
    garbage = tmp_path / "garbage.mp4"
    garbage.write_bytes(np.random.default_rng(0).integers(0, 256, 50_000, dtype=np.uint8).tobytes())
    truncated = tmp_path / "truncated.mp4"
    truncated.write_bytes(videos["mp4v_gop12"].read_bytes()[:2000])
    for path in (garbage, truncated, tmp_path / "missing.mp4"):
        with pytest.raises(VideoDecodeError):
            sample_frames(path, 4)
