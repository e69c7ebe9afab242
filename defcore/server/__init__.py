"""The results server and marketplace: signed uploads, vendors and products, verdicts, pages.

Importing this package needs nothing beyond defcore's core; the web app (`app.create_app`) and
the store (`db`) need the `server` extra.
"""
