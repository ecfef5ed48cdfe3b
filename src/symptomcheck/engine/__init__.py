"""The inference engine: numpy only, no web, storage or validation library."""
