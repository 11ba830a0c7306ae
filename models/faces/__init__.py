"""Face detection, landmarks, alignment and crop: the only implementation, shared by training and serving."""
