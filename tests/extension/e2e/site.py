"""The fixture web site the end-to-end tests browse: face images, a face video, and pages built around them."""
from __future__ import annotations

import io
from fractions import Fraction

import numpy as np
from skimage import data

from tests.helpers.http_server import FixtureServer, send_body
from tests.helpers.media import astronaut_head, make_jpeg_bytes

VIDEO_SIZE = (480, 360)
VIDEO_FPS = 25
VIDEO_SECONDS = 2.0


def face_webm() -> bytes:
    """A VP8 WebM (every browser plays it) of the astronaut's head drifting over a grey background."""
    import av

    width, height = VIDEO_SIZE
    head = astronaut_head()  # 240 x 220: a face of about 100 px, big enough to be scored in every frame
    frames = round(VIDEO_SECONDS * VIDEO_FPS)
    buffer = io.BytesIO()
    with av.open(buffer, "w", format="webm") as container:
        stream = container.add_stream("libvpx", rate=Fraction(VIDEO_FPS))
        stream.width, stream.height, stream.pix_fmt = width, height, "yuv420p"
        stream.options = {"b": "800k", "deadline": "realtime", "cpu-used": "8"}
        for i in range(frames):
            frame = np.full((height, width, 3), 128, np.uint8)
            x = 40 + round(160 * i / frames)
            y = (height - head.shape[0]) // 2
            frame[y:y + head.shape[0], x:x + head.shape[1]] = head
            for packet in stream.encode(av.VideoFrame.from_ndarray(frame, format="rgb24")):
                container.mux(packet)
        for packet in stream.encode():
            container.mux(packet)
    return buffer.getvalue()


def page(title: str, body: str) -> bytes:
    """A small HTML page."""
    return (f"<!doctype html><html><head><meta charset='utf-8'><title>{title}</title>"
            "<style>body{font-family:sans-serif;margin:24px;background:#f4f1ea}"
            " figure{margin:0 0 24px}</style></head>"
            f"<body><h1>{title}</h1>{body}</body></html>").encode()


OVERLAY_PAGE = """
<p>The photo sits in a link and under a transparent cover, like on many news sites.</p>
<a href="/elsewhere" id="wrapper" style="display:inline-block;position:relative">
  <img id="photo" width="384" height="384" alt="An astronaut">
  <span id="cover" style="position:absolute;inset:0;background:rgba(0,0,0,0)"></span>
</a>
<script>
  // ?photo=NAME gives each test its own image URL (the extension remembers results per URL).
  const name = new URLSearchParams(location.search).get("photo") || "overlay";
  const photo = document.getElementById("photo");
  photo.srcset = `/img/astronaut.jpg?photo=${name}&w=1 1x, /img/astronaut.jpg?photo=${name}&w=2 2x`;
  photo.src = `/img/astronaut.jpg?photo=${name}`;
</script>
"""

FEED_PAGE = """
<p>A feed: one big photo, one thumbnail too small to hold a checkable face, more photos arriving later.</p>
<div id="feed"></div>
<script>
  // ?feed=NAME gives each browser its own image URLs.
  const feedName = new URLSearchParams(location.search).get("feed") || "main";
  const post = (query, size, id) => {
    const figure = document.createElement("figure");
    const img = document.createElement("img");
    img.className = "post";
    if (id) img.id = id;
    img.width = size; img.height = size; img.alt = "";
    img.src = `/img/astronaut.jpg?feed=${feedName}&${query}`;
    figure.append(img);
    document.getElementById("feed").append(figure);
  };
  post("post=1", 320);
  post("thumb=1", 48, "thumb");
  setTimeout(() => {
    post("post=2", 320);
    post("post=1", 320);
    document.body.dataset.appended = "1";
  }, 1500);
</script>
"""

VIDEO_PAGE = """
<p>A video played from a blob: URL, as streaming players do.</p>
<video id="clip" muted playsinline width="480" height="360"></video>
<script>
  fetch("/media/face.webm").then((r) => r.blob()).then((blob) => {
    const video = document.getElementById("clip");
    video.addEventListener("loadeddata", () => { document.body.dataset.ready = "1"; }, { once: true });
    video.src = URL.createObjectURL(blob);
  });
</script>
"""

MOVIE_PAGE = """
<p>A video file played straight from its URL: the companion downloads it and reads runs of frames.</p>
<video id="movie" src="/media/face.webm" muted loop autoplay playsinline width="480" height="360"></video>
"""

ATTACK_PAGE = """
<p>This page tries to talk to the companion directly.</p>
<script>
  window.tryCompanion = async (url) => {
    try {
      const response = await fetch(url);
      return { readable: true, status: response.status, body: await response.text() };
    } catch (error) {
      return { readable: false, error: String(error) };
    }
  };
</script>
"""


def start_site() -> FixtureServer:
    """A started fixture server with the images, the video and the pages (caller stops it)."""
    server = FixtureServer()
    server.file("/img/astronaut.jpg", make_jpeg_bytes(data.astronaut()), "image/jpeg")
    server.file("/media/face.webm", face_webm(), "video/webm")
    server.add("/favicon.ico", lambda h: send_body(h, b"", status=204))
    for path, title, body in (("/overlay.html", "Covered photo", OVERLAY_PAGE), ("/feed.html", "Endless feed", FEED_PAGE),
                              ("/video.html", "Streaming video", VIDEO_PAGE), ("/attack.html", "Curious page", ATTACK_PAGE),
                              ("/movie.html", "Video file", MOVIE_PAGE),
                              ("/elsewhere", "Elsewhere", "<p>The link target.</p>")):
        server.file(path, page(title, body), "text/html; charset=utf-8")
    return server.__enter__()
