"""Local stand-ins for AWS and X, for `make run` and the tests."""
