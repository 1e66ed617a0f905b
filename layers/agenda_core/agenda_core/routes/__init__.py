"""Routes more than one function registers the same way (the functions' own layer, above
``http`` and ``services``: it wires one to the other, as ``functions/<resource>/app.py`` does)."""
