"""A one-line progress bar for management commands run by hand."""

import sys


class ProgressBar:
    """Redraws ``label [#####-----] done/total`` in place on ``stream``, one line per label."""

    def __init__(self, totals, stream, width=30):
        self.totals, self.stream, self.width = totals, stream, width
        self.done = dict.fromkeys(totals, 0)

    def __call__(self, label, count):
        self.done[label] += count
        total = max(1, self.totals[label])
        filled = min(self.width, self.width * self.done[label] // total)
        bar = "#" * filled + "-" * (self.width - filled)
        self.stream.write(f"\r{label:<10} [{bar}] {self.done[label]:>9,}/{self.totals[label]:,}")
        if self.done[label] >= self.totals[label]:
            self.stream.write("\n")
        self.stream.flush()


def reporter(command, totals, show_bar, verbosity):
    """What a batch command reports progress to: a bar on stderr, a line per batch at ``-v 2``, or nothing."""
    if show_bar:
        return ProgressBar(totals, sys.stderr)
    if verbosity >= 2:
        return lambda label, count: command.stdout.write(f"batch: {count} {label}")
    return None
