"""Use cases over a repository interface: start, answer, go back, read, export, erase, purge."""
