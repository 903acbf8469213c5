"""Finding book records by text: the navigation's search box and the new-client page's
"is this a client we already have?" check. Every query is scoped by ``crm.access``."""

from __future__ import annotations

import re
from difflib import SequenceMatcher

from django.db.models import Q

from accounts.models import User
from crm.access import clients_visible_to
from crm.models import Client

# Words too common in company names to say two names are alike.
NAME_NOISE = {"ltd", "limited", "inc", "plc", "llc", "gmbh", "the", "and", "group", "co", "sa"}
SIMILAR_NAME_RATIO = 0.8
SIMILAR_CANDIDATES = 200


def _name_key(name: str) -> str:
    words = re.findall(r"[a-z0-9]+", name.lower())
    return " ".join(w for w in words if w not in NAME_NOISE)


def similar_clients(user: User, name: str, *, exclude_pk: int | None = None) -> list[Client]:
    """Clients ``user`` can see whose name is close to ``name`` (same words once case,
    punctuation and "Ltd"-like words are ignored, or a similarity ratio of at least 0.8).
    Candidates are those sharing a word with ``name``, at most 200 read."""
    key = _name_key(name)
    words = [w for w in key.split() if len(w) >= 3]
    if not key or not words:
        return []
    query = Q()
    for word in words:
        query |= Q(name__icontains=word)
    candidates = clients_visible_to(user).filter(query).only("id", "name")
    if exclude_pk is not None:
        candidates = candidates.exclude(pk=exclude_pk)
    found = []
    for client in candidates[:SIMILAR_CANDIDATES]:
        other = _name_key(client.name)
        if other == key or SequenceMatcher(None, key, other).ratio() >= SIMILAR_NAME_RATIO:
            found.append(client)
    return found
