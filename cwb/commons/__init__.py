"""Community use of places (Turin's CO-CITY): places, needs, place-to-group matching, pacts.

Sits beside matching: it matches under-used places to the community groups that need
space, with reasons, and books weekly slots so that no slot is booked twice.

- ``places``: places that could host groups, what each offers, and its free slots.
- ``matching``: needs scored against places with reasons, slots allocated, gaps listed.
- ``pacts``: CO-CITY-style figures (public places, pacts by status, hours gained).
"""

from cwb.commons.matching import CommonsResult, CommonsSettings, match_places
from cwb.commons.pacts import commons_figures, write_commons
from cwb.commons.places import community_places, free_slots

__all__ = [
    "CommonsResult",
    "CommonsSettings",
    "commons_figures",
    "community_places",
    "free_slots",
    "match_places",
    "write_commons",
]
