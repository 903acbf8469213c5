"""Finding book records by text: the navigation's search box and the new-client page's
"is this a client we already have?" check. Every query is scoped by ``crm.access``."""

from __future__ import annotations

import re
from dataclasses import dataclass
from difflib import SequenceMatcher

from django.contrib.postgres.search import SearchQuery, SearchRank, SearchVector
from django.db import connection
from django.db.models import Q, Value
from django.db.models.functions import Replace

from accounts.models import User
from crm.access import clients_visible_to
from crm.models import Client, Contact, Deal, Interaction

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


# --- The navigation's search box ----------------------------------------------------------------

SEARCH_LIMIT = 10


@dataclass(frozen=True)
class SearchResults:
    clients: list
    contacts: list
    deals: list
    interactions: list

    @property
    def count(self) -> int:
        return len(self.clients) + len(self.contacts) + len(self.deals) + len(self.interactions)


def _digits(text: str) -> str:
    return re.sub(r"\D", "", text)


def _text_match(field: str, q: str) -> Q:
    return Q(**{f"{field}__icontains": q})


def _ranked(queryset, fields: list[str], q: str):
    """PostgreSQL: full-text match on ``fields`` (English stemming, so "meetings" finds
    "meeting") or a plain substring match, best rank first. Elsewhere (SQLite): substring
    match only."""
    substring = Q()
    for field in fields:
        substring |= _text_match(field, q)
    if connection.vendor != "postgresql":
        return queryset.filter(substring)
    vector = SearchVector(*fields, config="english")
    query = SearchQuery(q, config="english", search_type="websearch")
    return (
        queryset.annotate(search_rank=SearchRank(vector, query))
        .filter(Q(search_rank__gt=0) | substring)
        .order_by("-search_rank")
    )


def search_book(user: User, q: str, *, limit: int = SEARCH_LIMIT) -> SearchResults:
    """Clients (name), contacts (name, e-mail, or phone in any format: only its digits are
    compared), deals (title) and interactions (topic, summary) ``user`` may read that match
    ``q``; at most ``limit`` of each, four queries."""
    q = q.strip()[:100]
    if len(q) < 2:
        return SearchResults([], [], [], [])
    clients = clients_visible_to(user)
    contact_match = _text_match("name", q) | _text_match("email", q)
    digits = _digits(q)
    if len(digits) >= 4:
        # Stored phones keep whatever format they were typed in; compare digits only.
        phone_digits = Replace(
            Replace(
                Replace(Replace(Replace("phone", Value(" ")), Value("-")), Value("(")), Value(")")
            ),
            Value("+"),
        )
        contact_match |= Q(phone_digits__contains=digits)
        contacts = Contact.objects.annotate(phone_digits=phone_digits)
    else:
        contacts = Contact.objects.all()
    return SearchResults(
        clients=list(_ranked(clients, ["name"], q)[:limit]),
        contacts=list(
            contacts.filter(client__in=clients)
            .filter(contact_match)
            .select_related("client")[:limit]
        ),
        deals=list(
            _ranked(Deal.objects.filter(client__in=clients), ["title"], q).select_related(
                "client", "stage"
            )[:limit]
        ),
        interactions=list(
            _ranked(
                Interaction.objects.filter(client__in=clients), ["topic", "summary"], q
            ).select_related("client")[:limit]
        ),
    )
