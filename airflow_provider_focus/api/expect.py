"""
What a call's success body must be; the hook and the services name it without importing the HTTP machinery.

- :data:`ANY` (``None``): any JSON value; an empty body only for a 204 or a DELETE.
- :data:`OBJECT`: a JSON object.
- :data:`CREATED`: a JSON object with a non-empty ``id`` (the answer to a create).
"""

from __future__ import annotations

ANY = None
OBJECT = "object"
CREATED = "created"
