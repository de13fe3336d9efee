"""Index, retrieval and answers over ingested agenda items. Never imports `ui`."""
