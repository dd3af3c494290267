"""Search terms of the client-search scenario."""

from __future__ import annotations

import random

# Names that the sandbox's dataset holds, so most searches rank real matches.
SEARCH_TERMS = ("Esperanza", "Rodriguez", "Martinez", "Lopez")


def random_search_term() -> str:
    """Pick one search term at random."""
    return random.choice(SEARCH_TERMS)
