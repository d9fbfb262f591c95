"""fmin's progress display on stderr.

On a terminal: one line redrawn in place at most ten times a second,

     42%|########            | 42/100 [00:01<00:02, 35.1 trials/s,
         best loss: 0.7512]

(one line on the screen), and after the last trial a newline.
Otherwise (a log file, a pipe): a plain line every few seconds and one at
the end, so logs stay readable.
"""
import sys
import time


def _clock(seconds):
    if seconds is None or seconds != seconds or seconds == float("inf"):
        return "?"
    seconds = int(seconds)
    h, rest = divmod(seconds, 3600)
    m, s = divmod(rest, 60)
    return "%d:%02d:%02d" % (h, m, s) if h else "%02d:%02d" % (m, s)


def _loss(x):
    return "?" if x is None else "%.6g" % x


class Progress:
    """Progress of `done` trials out of `total` (None or huge: unknown)."""

    def __init__(self, total=None, initial=0, enabled=True, stream=None):
        self.stream = stream or sys.stderr
        self.enabled = enabled
        self.total = total if total is not None and total < 2 ** 62 else None
        self.initial = initial
        self.done = initial
        self.best = None
        self.start = time.monotonic()
        try:
            self.tty = bool(self.stream.isatty())
        except (AttributeError, ValueError):
            self.tty = False
        self.period = 0.1 if self.tty else 5.0
        self.last = 0.0 if self.tty else self.start
        self.width = 0

    def update(self, done, best=None, force=False):
        if not self.enabled:
            return
        self.done = done
        self.best = best
        now = time.monotonic()
        if not force and now - self.last < self.period:
            return
        self.last = now
        self._draw(now, final=False)

    def _text(self, now):
        elapsed = now - self.start
        n = self.done - self.initial
        rate = n / elapsed if elapsed > 0 else 0.0
        bits = ["%s trials/s" % (("%.0f" if rate >= 100 else "%.3g") % rate
                                 if rate else "?"),
                "best loss: %s" % _loss(self.best)]
        if self.total:
            left = (self.total - self.done) / rate if rate else None
            frac = min(1.0, self.done / self.total)
            if self.tty:
                bar = ("#" * int(frac * 20)).ljust(20)
                return "%3d%%|%s| %d/%d [%s<%s, %s]" % (
                    frac * 100, bar, self.done, self.total, _clock(elapsed),
                    _clock(left), ", ".join(bits))
            return "fmin: %d/%d trials (%d%%), %s, elapsed %s" % (
                self.done, self.total, frac * 100, ", ".join(bits),
                _clock(elapsed))
        return "fmin: %d trials, %s, elapsed %s" % (
            self.done, ", ".join(bits), _clock(elapsed))

    def _draw(self, now, final):
        text = self._text(now)
        try:
            if self.tty:
                pad = max(0, self.width - len(text))
                self.stream.write("\r" + text + " " * pad +
                                  ("\n" if final else ""))
                self.width = len(text)
            else:
                self.stream.write(text + "\n")
            self.stream.flush()
        except (OSError, ValueError):
            self.enabled = False

    def close(self, done=None, best=None):
        """Draw the final state (done and best, when given) and stop."""
        if done is not None:
            self.done, self.best = done, best
        if self.enabled:
            self._draw(time.monotonic(), final=True)
            self.enabled = False

    def __enter__(self):
        return self

    def __exit__(self, *exc):
        self.close()
