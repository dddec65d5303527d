"""Feed sources: HTTP polling with conditional GET (``fetch``) and parsing into Articles (``parse``)."""
