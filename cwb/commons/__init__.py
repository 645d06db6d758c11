"""Community use of places (Turin's CO-CITY): places, needs, place-to-group matching, pacts."""

from cwb.commons.matching import CommonsResult, CommonsSettings, match_places
from cwb.commons.places import community_places, free_slots

__all__ = ["CommonsResult", "CommonsSettings", "community_places", "free_slots", "match_places"]
