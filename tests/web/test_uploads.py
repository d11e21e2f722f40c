"""What the page says about an upload: the user's file name, never the server's paths."""

from __future__ import annotations

import warnings

from classifier.io.tables import EncodingFallbackWarning
from classifier.web.uploads import for_the_page, our_notices


def test_uploads_messages_name_the_upload_and_the_pages_field():
    names = {"/srv/jobs/ab12/upload.csv": "backlog.csv", "/srv/jobs/ab12/": ""}
    message = for_the_page("/srv/jobs/ab12/upload.csv: no column 'text'. Choose one with --text-column NAME.", names)
    assert message == "backlog.csv: no column 'text'. Choose one in the \"Text column\" field."


def test_uploads_notices_are_ours_only_and_named():
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always")
        warnings.warn("/tmp/x.csv was read as Windows-1252", EncodingFallbackWarning, stacklevel=1)
        warnings.warn("something from a library", DeprecationWarning, stacklevel=1)
    assert our_notices(caught, {"/tmp/x.csv": "backlog.csv"}) == ["backlog.csv was read as Windows-1252"]
