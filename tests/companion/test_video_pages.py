"""Page videos through the real yt-dlp against a local web server: allow-list, limits, guard, cleanup."""
from __future__ import annotations

import hashlib

import pytest
import yt_dlp

from companion import netguard
from companion.config import DEFAULTS
from companion.errors import BadRequest, FetchFailed, Forbidden, TooLarge
from companion.video_pages import FORMAT_SORT, FORMAT_SPEC, allowed_extractors, download_page_video, extractor_for
from tests.helpers.http_server import FixtureServer, send_body
from tests.helpers.media import make_face_video

PAGE = b'<html><head><title>Clip</title></head><body><video src="clip.mp4" controls></video></body></html>'


@pytest.fixture(scope="module")
def clip(tmp_path_factory) -> bytes:
    """A 2-second face video (mp4v)."""
    return make_face_video(tmp_path_factory.mktemp("clip") / "clip.mp4", seconds=2, size=(480, 360),
                           fps=15).read_bytes()


@pytest.fixture
def server(clip):
    """A local site with a page holding a <video> tag and the clip itself."""
    with FixtureServer() as running:
        running.file("/page.html", PAGE, "text/html; charset=utf-8")
        running.file("/clip.mp4", clip, "video/mp4")
        yield running


@pytest.fixture
def config():
    """Settings that let yt-dlp's generic extractor reach the local server."""
    return {**DEFAULTS, "ALLOW_PRIVATE_ADDRESSES": True, "YTDLP_EXTRACTORS": ["generic"]}


@pytest.fixture
def dest(tmp_path):
    """The job folder downloads go to."""
    folder = tmp_path / "job"
    folder.mkdir()
    return folder


def download_error(url, config, dest, error_type):
    """Run download_page_video expecting `error_type`; checks nothing is left behind; returns the error."""
    with pytest.raises(error_type) as caught:
        download_page_video(url, config, dest)
    assert list(dest.iterdir()) == []
    return caught.value


def test_video_tag_on_a_page_is_downloaded_into_the_job_folder(server, config, dest, clip):
    media = download_page_video(server.url("/page.html"), config, dest)
    assert (media.kind, media.mime, media.size) == ("video", "video/mp4", len(clip))
    assert media.sha256 == hashlib.sha256(clip).hexdigest()
    assert media.source_url == server.url("/page.html")
    assert list(dest.iterdir()) == [media.path]  # the private download folder is gone
    assert [path for path, _ in server.requests] == ["/page.html", "/clip.mp4"]
    assert all("Cookie" not in headers for _path, headers in server.requests)


def test_site_outside_the_allow_list_is_refused_before_any_request(server, config, dest):
    error = download_error(server.url("/page.html"), {**config, "YTDLP_EXTRACTORS": ["youtube"]}, dest, BadRequest)
    assert error.code == "unsupported_site"
    assert server.requests == []


def test_known_site_is_matched_to_its_own_extractor():
    assert extractor_for("https://www.youtube.com/watch?v=dQw4w9WgXcQ").ie_key() == "Youtube"
    assert extractor_for("https://example.org/article").ie_key() == "Generic"
    youtube = {ie.ie_key() for ie in allowed_extractors(["youtube"])}
    assert {"Youtube", "YoutubeTab"} <= youtube and "Generic" not in youtube
    assert allowed_extractors([]) == []


def test_youtube_url_is_refused_when_only_generic_is_allowed(config, dest):
    error = download_error("https://www.youtube.com/watch?v=dQw4w9WgXcQ", {**config, "ALLOW_PRIVATE_ADDRESSES": False},
                           dest, BadRequest)
    assert error.code == "unsupported_site" and "Youtube" in error.message


def test_video_longer_than_the_limit_is_refused(server, config, dest):
    error = download_error(server.url("/page.html"), {**config, "VIDEO_MAX_DURATION_S": 1}, dest, TooLarge)
    assert (error.code, error.status) == ("video_too_long", 413)


def test_announced_duration_is_refused_before_downloading(config, dest, monkeypatch):
    """When the extractor knows the duration (most sites do), nothing is downloaded."""
    from companion import video_pages

    with pytest.raises(TooLarge) as caught:
        video_pages._check_before_download({"duration": 7200.0}, {**config, "VIDEO_MAX_DURATION_S": 1800})
    assert caught.value.code == "video_too_long"
    with pytest.raises(TooLarge) as caught:
        video_pages._check_before_download({"filesize": 10**9}, {**config, "VIDEO_MAX_BYTES": 10**6})
    assert caught.value.code == "media_too_large"
    with pytest.raises(BadRequest) as caught:
        video_pages._check_before_download({"is_live": True}, config)
    assert caught.value.code == "live_video"


def test_video_over_the_size_limit_is_refused(server, config, dest, clip):
    error = download_error(server.url("/page.html"), {**config, "VIDEO_MAX_BYTES": len(clip) // 2}, dest, TooLarge)
    assert error.code == "media_too_large"


def test_size_limit_holds_without_content_length(server, config, dest, clip):
    server.file("/clip.mp4", clip, "video/mp4", content_length=False)
    error = download_error(server.url("/page.html"), {**config, "VIDEO_MAX_BYTES": len(clip) // 2}, dest, TooLarge)
    assert error.code == "media_too_large"


def test_private_page_is_refused_when_private_addresses_are_not_allowed(server, config, dest):
    error = download_error(server.url("/page.html"), {**config, "ALLOW_PRIVATE_ADDRESSES": False}, dest, Forbidden)
    assert (error.code, error.status) == ("private_address", 403)
    assert server.requests == []


def test_media_url_on_a_forbidden_host_is_refused_inside_yt_dlp(server, config, dest, monkeypatch):
    """Only 127.0.0.1 passes the guard; the page's video points at 127.0.0.2, which yt-dlp must not reach."""
    real_reason = netguard.forbidden_reason
    monkeypatch.setattr(netguard, "forbidden_reason", lambda ip: None if str(ip) == "127.0.0.1" else real_reason(ip))
    server.file("/elsewhere.html", f'<video src="http://127.0.0.2:{server.port}/clip.mp4"></video>'.encode(),
                "text/html")
    error = download_error(server.url("/elsewhere.html"), {**config, "ALLOW_PRIVATE_ADDRESSES": False}, dest,
                           Forbidden)
    assert error.code == "private_address"
    assert [path for path, _ in server.requests] == ["/elsewhere.html"]


def test_redirect_to_a_forbidden_host_is_refused_inside_yt_dlp(server, config, dest, monkeypatch):
    real_reason = netguard.forbidden_reason
    monkeypatch.setattr(netguard, "forbidden_reason", lambda ip: None if str(ip) == "127.0.0.1" else real_reason(ip))
    server.redirect("/bounce.html", f"http://127.0.0.2:{server.port}/page.html")
    error = download_error(server.url("/bounce.html"), {**config, "ALLOW_PRIVATE_ADDRESSES": False}, dest,
                           Forbidden)
    assert error.code == "private_address"


def test_page_without_a_video_is_unsupported(server, config, dest):
    server.file("/text.html", b"<html><body><p>No video here.</p></body></html>", "text/html")
    error = download_error(server.url("/text.html"), config, dest, BadRequest)
    assert error.code == "unsupported_site"


def test_missing_page_is_unavailable(server, config, dest):
    error = download_error(server.url("/gone.html"), config, dest, FetchFailed)
    assert error.code == "video_unavailable" and "404" in error.message


def test_server_error_is_a_fetch_failure(server, config, dest):
    server.add("/broken.html", lambda h: send_body(h, b"oops", status=500, content_type="text/plain"))
    error = download_error(server.url("/broken.html"), config, dest, FetchFailed)
    assert (error.code, error.status) == ("fetch_failed", 502)


def test_non_http_page_urls_are_refused(config, dest):
    assert download_error("file:///etc/passwd", config, dest, BadRequest).code == "unsupported_scheme"


def test_format_choice_prefers_the_smallest_stream_at_least_360_high():
    """yt-dlp's real format selector with our spec, on a synthetic format list (no network)."""
    def fmt(height, size, vcodec="avc1", acodec="none"):
        return {"format_id": f"{height}-{acodec}", "url": f"https://cdn.example/{height}", "ext": "mp4",
                "height": height, "width": height * 16 // 9, "filesize": size, "vcodec": vcodec, "acodec": acodec,
                "protocol": "https"}
    formats = [fmt(144, 1_000), fmt(240, 2_000), fmt(360, 5_000), fmt(480, 8_000, acodec="mp4a"),
               fmt(720, 20_000), fmt(1080, 50_000), fmt(0, 500, vcodec="none", acodec="mp4a")]
    chosen = _select(formats)
    assert chosen["format_id"] == "360-none"
    assert _select([fmt(144, 1_000), fmt(240, 2_000)])["format_id"] == "144-none"  # nothing tall enough


def _select(formats):
    """The format our spec and sort pick from `formats`."""
    params = {"format": FORMAT_SPEC, "format_sort": FORMAT_SORT, "quiet": True, "simulate": True}
    with yt_dlp.YoutubeDL(params) as ydl:
        info = ydl.process_ie_result({"id": "x", "title": "x", "formats": formats, "extractor": "test",
                                      "extractor_key": "Test", "webpage_url": "https://example.org/x"},
                                     download=False)
    return info
