import test from "node:test";
import assert from "node:assert/strict";
import { element, load } from "./helpers.mjs";

const { findMedia } = await load("src/content/find-media.js");
const noBackground = () => "none";
const PAGE = "https://news.example/article";

test("an image under a transparent overlay and a link wrapper is found", () => {
  const img = element("img", { currentSrc: "https://cdn.example/a-800.jpg", src: "https://cdn.example/a.jpg" });
  const stack = [element("div", { className: "overlay" }), element("a"), img, element("body"), element("html")];
  const media = findMedia.pickMedia(stack, noBackground, PAGE);
  assert.equal(media.element, img);
  assert.equal(media.kind, "img");
  assert.equal(media.url, "https://cdn.example/a-800.jpg", "currentSrc (srcset choice) wins over src");
});

test("a <picture> hit directly gives its <img>", () => {
  const img = element("img", { currentSrc: "https://cdn.example/b.webp" });
  const picture = element("picture", { querySelector: (sel) => (sel === "img" ? img : null) });
  assert.equal(findMedia.pickMedia([picture], noBackground, PAGE).element, img);
});

test("a video below an overlay is found before any background image", () => {
  const video = element("video", { currentSrc: "https://cdn.example/v.mp4" });
  const div = element("div");
  const bg = (el) => (el === div ? 'url("https://cdn.example/bg.jpg")' : "none");
  assert.equal(findMedia.pickMedia([div, video], bg, PAGE).element, video);
});

test("a CSS background image is the fallback, resolved against the page, never body's", () => {
  const body = element("body");
  const tile = element("div");
  const bg = (el) => (el === tile ? "url('/img/face.png')" : el === body ? "url(/page-bg.png)" : "none");
  const media = findMedia.pickMedia([tile, body], bg, PAGE);
  assert.deepEqual([media.kind, media.url], ["background", "https://news.example/img/face.png"]);
  assert.equal(findMedia.pickMedia([body], bg, PAGE), null);
});

test("nothing under the pointer gives null", () => {
  assert.equal(findMedia.pickMedia([element("div"), element("p")], noBackground, PAGE), null);
});

test("images: http(s) by URL, data: JPEG as one frame, blob: captured, others refused", () => {
  const img = (url) => ({ kind: "img", url, element: element("img") });
  assert.deepEqual(findMedia.sourceFor(img("https://x.example/a.jpg"), PAGE), { type: "url", url: "https://x.example/a.jpg" });
  assert.deepEqual(findMedia.sourceFor(img("data:image/jpeg;base64,/9j/4AAQ"), PAGE), { type: "frames", capture: "data-url" });
  assert.deepEqual(findMedia.sourceFor(img("blob:https://x.example/123"), PAGE), { type: "frames", capture: "image" });
  assert.equal(findMedia.sourceFor(img("data:image/svg+xml,<svg/>"), PAGE).type, "unsupported");
});

test("videos: file URL sent, blob/MSE captured, video-site pages sent as page_url", () => {
  const video = (url, props = {}) => ({ kind: "video", url, element: element("video", props) });
  assert.deepEqual(findMedia.sourceFor(video("https://cdn.example/clip.mp4"), PAGE), { type: "url", url: "https://cdn.example/clip.mp4" });
  assert.deepEqual(findMedia.sourceFor(video("blob:https://news.example/5f2"), PAGE), { type: "frames", capture: "video" });
  assert.deepEqual(findMedia.sourceFor(video("", { srcObject: {} }), PAGE), { type: "frames", capture: "video" });
  const watch = "https://www.youtube.com/watch?v=dQw4w9WgXcQ";
  assert.deepEqual(findMedia.sourceFor(video("blob:https://www.youtube.com/abc"), watch), { type: "page_url", url: watch });
  assert.equal(findMedia.sourceFor(video(""), PAGE).type, "unsupported");
});

test("video pages of yt-dlp sites are recognised, their home pages and look-alikes are not", () => {
  for (const url of [
    "https://www.youtube.com/watch?v=abc", "https://youtu.be/dQw4w9WgXcQ", "https://m.youtube.com/shorts/abcdef",
    "https://vimeo.com/123456", "https://x.com/someone/status/1234567", "https://twitter.com/a/status/99",
    "https://www.tiktok.com/@user/video/7312345", "https://www.instagram.com/reel/Cxyz_12/",
    "https://www.facebook.com/watch?v=1", "https://www.reddit.com/r/videos/comments/abc123/title/",
    "https://www.dailymotion.com/video/x8abc", "https://dai.ly/x8abc",
  ]) assert.ok(findMedia.isVideoPage(url), url);
  for (const url of [
    "https://www.youtube.com/", "https://vimeo.com/about", "https://x.com/home", "https://notyoutube.com/watch?v=1",
    "https://youtube.com.evil.example/watch?v=1", "ftp://youtube.com/watch", "not a url",
  ]) assert.ok(!findMedia.isVideoPage(url), url);
});

test("links: media files and video pages are checkable, other links are not", () => {
  assert.deepEqual(findMedia.sourceForLink("https://x.example/photos/p.JPG?w=1"), { type: "url", url: "https://x.example/photos/p.JPG?w=1" });
  assert.deepEqual(findMedia.sourceForLink("https://vimeo.com/42"), { type: "page_url", url: "https://vimeo.com/42" });
  assert.deepEqual(findMedia.sourceForLink("https://x.example/about"), { type: "unsupported", reason: "not_media_link" });
  assert.deepEqual(findMedia.sourceForPage("https://x.example/"), { type: "unsupported", reason: "no_media_here" });
  assert.equal(findMedia.sourceForPage("https://youtu.be/dQw4w9WgXcQ").type, "page_url");
});

test("automatic checks: face-sized images and video files only", () => {
  const img = { kind: "img", url: "https://x.example/a.jpg", element: element("img") };
  assert.deepEqual(findMedia.autoSource(img, { width: 120, height: 100 }, 96, PAGE), { type: "url", url: img.url });
  assert.equal(findMedia.autoSource(img, { width: 120, height: 95 }, 96, PAGE), null, "too small on one side");
  const blobVideo = { kind: "video", url: "blob:https://x.example/1", element: element("video") };
  assert.equal(findMedia.autoSource(blobVideo, { width: 640, height: 360 }, 96, PAGE), null, "capturing is left to a right-click");
  const file = { kind: "video", url: "https://x.example/v.mp4", element: element("video") };
  assert.equal(findMedia.autoSource(file, { width: 640, height: 360 }, 96, PAGE).type, "url");
  assert.equal(findMedia.autoSource(file, { width: 640, height: 360 }, 96, "https://vimeo.com/1"), null, "video pages need a right-click");
});

test("sources dedupe by URL; frames never do", () => {
  assert.equal(findMedia.sourceKey({ type: "url", url: "https://a/b.jpg" }), "url:https://a/b.jpg");
  assert.equal(findMedia.sourceKey({ type: "page_url", url: "https://vimeo.com/1" }), "page:https://vimeo.com/1");
  assert.equal(findMedia.sourceKey({ type: "frames", capture: "video" }), null);
});
