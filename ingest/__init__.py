"""Meeting documents -> agenda items -> chunks. Imports nothing from `rag` or `ui`."""
