"""The analysis hands a region detector each face's native-scale region, in crop order."""
import numpy as np
import pytest

from models.faces.region import face_region
from models.serving.analysis import find_faces, reads_regions, score_crops
from tests.helpers.media import astronaut_head


class SideOfInput:
    """A detector whose score is its input's height in pixels / 1000 (so the test sees what it got)."""

    def __init__(self, name, kind):
        self.name, self.input_kind = name, kind

    def predict(self, inputs):
        return np.array([x.shape[0] / 1000.0 for x in inputs])


def test_region_detectors_get_native_regions_and_crop_detectors_aligned_crops(face_assets_dir):
    from models.faces.detect import FaceDetector

    image = np.zeros((700, 900, 3), np.uint8)
    head = astronaut_head()
    image[100:100 + head.shape[0], 50:50 + head.shape[1]] = head
    big = np.repeat(np.repeat(head, 2, axis=0), 2, axis=1)
    image[200:200 + big.shape[0], 400:400 + big.shape[1]] = big
    regions = []
    found, crops = find_faces([image], FaceDetector(face_assets_dir), 32, regions=regions)
    assert len(found) == 2 and len(regions) == len(crops) == 2
    for face in found:
        assert np.array_equal(regions[face["crop"]], face_region(image, face["box"]))
    detectors = [SideOfInput("region", "region"), SideOfInput("aligned", "aligned")]
    assert reads_regions(detectors) and not reads_regions(detectors[1:])
    scores = score_crops(detectors, crops, regions)
    assert np.allclose(scores["aligned"], crops.shape[1] / 1000.0)
    assert np.allclose(scores["region"], [r.shape[0] / 1000.0 for r in regions])
    assert scores["region"].max() > 1.6 * scores["region"].min()  # the doubled face's region is twice the size
    with pytest.raises(ValueError, match="native face region"):
        score_crops(detectors, crops)
