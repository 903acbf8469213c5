"""Per-subject measures that do not add up over months (distinct counts, medians), computed by
the database for every window of a batch in one statement per family.

Every helper runs a fixed number of queries whatever the number of BRMs, teams or clients; the
building blocks (segments, statements, VALUES tables) are in ``metrics.sql``.
"""

from __future__ import annotations

from collections import defaultdict
from datetime import datetime
from statistics import median
from typing import Any

from django.db import connection
from django.db.models import QuerySet

from metrics.sql import Segments, any_bits, statement
from metrics.subjects import SubjectKey, Subjects

# One measurement window of a per-subject statement: who is measured, and the half-open
# instants ``[from, until)`` of the events counted (``None``: every event of the queryset).
Group = tuple[Subjects, tuple[datetime, datetime] | None]


def _per_window_sql(
    sql: str,
    groups: list[Group],
    aggregates: str,
) -> tuple[str, list]:
    """One statement returning ``aggregates`` for every BRM, team and the organisation of every
    window, over the CTE ``ev(who, x[, at])``: the events are read once and joined to the
    windows containing their instant ``at``. Teams are joined through their membership pairs
    (per window), so a team's value is computed from its members' records, never from their
    results. Rows are ``(window index, subject type, subject id, *aggregates)``."""
    params: list[Any] = []
    timed = [index for index, (_, bounds) in enumerate(groups) if bounds is not None]
    if timed:
        # Each event carries its segment between the windows' bounds (``_segments``): joined
        # by equality to the windows containing the segment, not tested against every window.
        segments = _segments(groups)
        windows = ", ".join(f"({index})" for index in timed)
        covered = ", ".join(
            f"({segment}, {index})" for index in timed for segment in segments.of(*groups[index][1])
        )
        ctes = [
            f"ev AS ({sql})",
            f"w_(i) AS (VALUES {windows})",
            f"ws(seg, i) AS (VALUES {covered or '(-1, -1)'})",
            "evw AS (SELECT ws.i, ev.who, ev.x FROM ev JOIN ws ON ws.seg = ev.seg)",
        ]
    else:
        ctes = [f"ev AS ({sql})", "w_(i) AS (VALUES (0))", "evw AS (SELECT 0 AS i, ev.* FROM ev)"]
    branches = [f"SELECT i, 'brm', who, {aggregates} FROM evw GROUP BY i, who"]
    # Ids come from the database as integers: written into the statement, they spare
    # thousands of parameters for a long backfill.
    pairs = [
        f"({index}, {int(owner)}, {int(team)})"
        for index, (subjects, _) in enumerate(groups)
        for owner, team in subjects.membership_pairs()
    ]
    if pairs:
        ctes.append(f"tm(i, owner_id, team_id) AS (VALUES {', '.join(pairs)})")
        branches.append(
            f"SELECT evw.i, 'team', tm.team_id, {aggregates} FROM evw "
            "JOIN tm ON tm.i = evw.i AND tm.owner_id = evw.who GROUP BY evw.i, tm.team_id"
        )
    # From the windows, so a window without events still has its organisation's row.
    branches.append(
        f"SELECT w_.i, 'org', 0, {aggregates} FROM w_ LEFT JOIN evw ON evw.i = w_.i GROUP BY w_.i"
    )
    return "WITH " + ", ".join(ctes) + " " + " UNION ALL ".join(branches), params


def _segments(groups: list[Group]) -> Segments:
    return Segments([moment for _, bounds in groups if bounds is not None for moment in bounds])


def _fetch_per_window(
    queryset: QuerySet, groups: list[Group], aggregates: dict[str, str]
) -> list[dict[SubjectKey, dict[str, float]]]:
    """``aggregates`` per subject of each group, over a queryset's events (joined to the
    groups' windows by their instant ``at``)."""
    if any(bounds is not None for _, bounds in groups):
        queryset = queryset.annotate(seg=_segments(groups).index("at"))
    sql, params = statement(queryset)
    query, tail = _per_window_sql(sql, groups, ", ".join(aggregates.values()))
    with connection.cursor() as cursor:
        cursor.execute(query, (*params, *tail))
        rows = cursor.fetchall()
    results: list[dict[SubjectKey, dict[str, float]]] = [{} for _ in groups]
    for index, subject_type, subject_id, *values in rows:
        key = SubjectKey(subject_type, int(subject_id))
        groups[index][0].see(key)
        results[index][key] = {
            name: float(value) if value is not None else None
            for name, value in zip(aggregates, values, strict=True)
        }
    return results


def distinct_per_subject(
    queryset: QuerySet, groups: list[Group], name: str
) -> list[dict[SubjectKey, dict[str, float]]]:
    """``COUNT(DISTINCT x)`` (as ``name``) per subject and window over
    ``queryset.values(who=..., x=..., at=...)``: a team counts a contact two of its members
    both reached once, as the organisation does.

    Each event carries its segment's bit, so that events read from an index in (``who``,
    ``x``) order (contact links by owner and contact, ``crm.ContactReach``) are grouped as they
    come, without a join or a hash of the pairs: at scale 1, 24 months, 1.5-1.7 s -> 0.70-0.83 s
    for the pairs, and a month's 1.1-1.4 s -> 0.16-0.19 s, against the links joined to their
    interactions (docs/kpis-implementation.md, "Contacts reached from the links alone").

    Each window is a run of the ``Segments`` between the windows' bounds, so one statement
    (per ``_fitting`` group of windows) reduces the events to one row per ``(who, x)``: the
    OR of the bits of the segments ``x`` was reached in (``m``). ``x`` counts in a window when
    that mask meets the window's: a BRM's count is the number of its rows that do; a team's
    and the organisation's, the number of ``x`` whose OR over the members' (everyone's) masks
    does. The events are hashed into ``(who, x)`` pairs, not ``(window, who, x)`` triples:
    a contact reached every month of a 24-month backfill is one row, not 24.
    """
    results: list[dict[SubjectKey, dict[str, float]]] = [{} for _ in groups]
    runs = _fitting(groups)
    for indexes in runs:
        run = [groups[index] for index in indexes]
        events = queryset
        if len(runs) > 1 and all(bounds for _, bounds in run):
            # Only the events of these windows (a long backfill is read in several runs).
            events = queryset.filter(
                at__gte=min(bounds[0] for _, bounds in run),
                at__lt=max(bounds[1] for _, bounds in run),
            )
        rows = _masks_per_subject(events, run)
        for subject_type, subject_id, *counts in rows:
            key = SubjectKey(subject_type, int(subject_id))
            for index, count in zip(indexes, counts, strict=True):
                # Like COUNT(DISTINCT x): every window has its organisation's row, a BRM or a
                # team only where it reached someone.
                if count or subject_type == "org":
                    groups[index][0].see(key)
                    results[index][key] = {name: float(count)}
    return results


def _fitting(groups: list[Group]) -> list[list[int]]:
    """The indexes of ``groups``, in consecutive runs whose bounds fit one mask."""
    runs: list[list[int]] = []
    for index in range(len(groups)):
        run = [*runs[-1], index] if runs else []
        if run and len(_segments([groups[each] for each in run]).bounds) < Segments.MAX_BITS:
            runs[-1] = run
        else:
            runs.append([index])
    return runs


def _masks_per_subject(queryset: QuerySet, groups: list[Group]) -> list[tuple]:
    """Rows ``(subject type, subject id, count in each of groups' windows)`` of
    ``distinct_per_subject``, in one statement. Each event carries the bit of its segment; the
    bit of a segment no window covers meets no window's mask.
    """
    segments = _segments(groups)
    every = range(len(segments.bounds) + 1)
    covers = [segments.of(*bounds) if bounds else every for _, bounds in groups]
    masks = [sum(1 << segment for segment in covered) for covered in covers]
    sql, params = statement(queryset.annotate(bit=segments.bit("at")))
    ctes = [f"ev AS ({sql})", "evb AS (SELECT who, x, bit FROM ev)"]
    version_of, members = _team_versions([subjects for subjects, _ in groups], masks)
    pairs = [
        f"({version}, {int(owner)}, {int(team)}, {mask})"
        for (version, owner, team), mask in members.items()
    ]

    def counts(of_team: bool = False) -> str:
        return ", ".join(
            "COUNT(*) FILTER (WHERE "
            + (f"v = {version_of[index]} AND " if of_team else "")
            + f"(bits & {mask}) <> 0)"
            for index, mask in enumerate(masks)
        )

    # PostgreSQL ORs the pairs' masks again for the teams and the organisation (a small
    # table); SQLite's ``any_bits`` adds distinct powers of two, so it reads the events' bits.
    finer, bit = ("m", "bits") if connection.vendor == "postgresql" else ("evb", "bit")
    ctes.append(f"m AS (SELECT who, x, {any_bits('bit')} AS bits FROM evb GROUP BY who, x)")
    branches = [
        f"SELECT 'brm', who, {counts()} FROM m GROUP BY who",
        f"SELECT 'org', 0, {counts()} FROM "
        f"(SELECT x, {any_bits(bit)} AS bits FROM {finer} GROUP BY x) o",
    ]
    if pairs:
        ctes.append(f"tv(v, owner_id, team_id, mask) AS (VALUES {', '.join(pairs)})")
        branches.append(
            f"SELECT 'team', team_id, {counts(of_team=True)} FROM (SELECT tv.v, tv.team_id, "
            f"{finer}.x, {any_bits(f'{finer}.{bit} & tv.mask')} AS bits FROM {finer} "
            f"JOIN tv ON tv.owner_id = {finer}.who GROUP BY tv.v, tv.team_id, {finer}.x) t "
            "GROUP BY v, team_id"
        )
    with connection.cursor() as cursor:
        cursor.execute("WITH " + ", ".join(ctes) + " " + " UNION ALL ".join(branches), params)
        return cursor.fetchall()


def _team_versions(
    groups: list[Subjects], masks: list[int]
) -> tuple[list[int], dict[tuple[int, int, int], int]]:
    """Each window's team version, and per (version, owner, team) the mask of the segments
    where the owner's records count for the team.

    When windows with different members never share a segment (a backfill's months), there is
    one version: an owner's records count for a team in the segments of the windows where
    they were a member, so a team's contacts are one OR per (team, contact) whatever the
    changes of membership. Otherwise (a quarter and a month within it with other members)
    each set of members is a version of its own, whose members count everywhere.
    """
    pairs = [frozenset(subjects.membership_pairs()) for subjects in groups]
    apart = all(
        pairs[one] == pairs[other] or not masks[one] & masks[other]
        for one in range(len(groups))
        for other in range(one)
    )
    members: dict[tuple[int, int, int], int] = defaultdict(int)
    if apart:
        for window, window_pairs in enumerate(pairs):
            for owner, team in window_pairs:
                members[0, owner, team] |= masks[window]
        return [0] * len(groups), dict(sorted(members.items()))
    versions: dict[frozenset, int] = {}
    version_of = [versions.setdefault(each, len(versions)) for each in pairs]
    every = (1 << Segments.MAX_BITS) - 1
    for each, version in versions.items():
        for owner, team in each:
            members[version, owner, team] = every
    return version_of, dict(sorted(members.items()))


def median_per_subject(
    queryset: QuerySet, groups: list[Group], name: str
) -> list[dict[SubjectKey, dict[str, float]]]:
    """Median (and count, as ``<name>_n``) of ``x`` per subject and window over
    ``queryset.values(who=..., x=..., at=...)``.

    PostgreSQL computes ``percentile_cont(0.5)`` in the database. SQLite has no percentile
    function, so the same single query returns the values and Python takes the median of
    each subject's values, with the same interpolation (mean of the two middle values).
    """
    if connection.vendor == "postgresql":
        return _fetch_per_window(
            queryset,
            groups,
            {
                name: "percentile_cont(0.5) WITHIN GROUP (ORDER BY x)",
                f"{name}_n": "COUNT(x)",
            },
        )
    by_owner: list[dict[int, list[float]]] = [defaultdict(list) for _ in groups]
    for owner_id, value, at in queryset.order_by().values_list("who", "x", "at"):
        if value is None:
            continue
        for index, (_, bounds) in enumerate(groups):
            if bounds is None or bounds[0] <= at < bounds[1]:
                by_owner[index][owner_id].append(float(value))
    results = []
    for (subjects, _), owners in zip(groups, by_owner, strict=True):
        by_subject: dict[SubjectKey, list[float]] = defaultdict(list)
        for owner_id, values in owners.items():
            for key in subjects.keys_for_owner(owner_id):
                by_subject[key].extend(values)
        results.append(
            {
                key: {name: median(values), f"{name}_n": float(len(values))}
                for key, values in by_subject.items()
            }
        )
    return results
