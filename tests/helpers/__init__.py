"""Fixture makers and servers shared by the tests."""
