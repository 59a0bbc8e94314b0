"""The transport-free core: knowledge search, dialog flow, feedback and staff use cases.

Nothing under this package may import ``telegram`` or ``aiosqlite`` (enforced by ``tests/test_architecture.py``).
"""
