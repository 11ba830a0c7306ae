"""Pseudo-fake generators made from real faces: self-blends, swaps, autoencoder reconstructions."""
