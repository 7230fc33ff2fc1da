"""A test-only app that writes down the platform's signals, wherever they fire.

The worker is another process, so a test cannot listen to its signals
directly: this app (installed by ``tests.settings``) appends one JSON line per
signal to a file under ``VAR_DIR`` that the test reads back.
"""
