"""The built-in tools. Each is a plain typed function; ``default_registry`` registers them."""
