"""The Python front end: CPython's prefilter parse, libcst traversal, names, positions, and helpers the Python rules share."""
