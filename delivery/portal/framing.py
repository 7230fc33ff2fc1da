"""Headers every portal answer carries: who may frame it, no referrer leaks, no caching of secrets."""

from subscriptions import conf


def frame_ancestors():
    """The CSP source list of ``WEBHOOKS_PORTAL_FRAME_ANCESTORS``; ``'none'`` when it lists no origin."""
    return " ".join(conf.get().portal_frame_ancestors) or "'none'"


def portal_headers(response):
    """Only the listed origins may frame the page (X-Frame-Options would forbid them all, so it is
    dropped then); pages are private and never cached (a revealed secret must not stay in a cache)."""
    ancestors = conf.get().portal_frame_ancestors
    response["Content-Security-Policy"] = f"frame-ancestors {frame_ancestors()}"
    if ancestors:
        response.xframe_options_exempt = True
    else:
        response["X-Frame-Options"] = "DENY"
    response.setdefault("Referrer-Policy", "same-origin")
    response["Cache-Control"] = "private, no-store"
    return response
