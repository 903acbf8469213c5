"""Demo clients: planned books of every relationship type, ownership spans with
reassignments, lifecycle statuses (churn and return) and contacts."""

from __future__ import annotations

import random
from bisect import bisect_right
from datetime import date, datetime, timedelta

from crm.attribution import OwnershipTimeline
from crm.models import (
    Client,
    ClientOwnership,
    ClientStatusChange,
    Contact,
    LifecycleStatus,
    RelationshipType,
)
from demo.plans import ClientPlan, ContactPlan
from demo.scale import DEMO_BOOK_SIZE
from demo.vocabulary import (
    CHURN_REASONS,
    COMPANY_CORES,
    COMPANY_PREFIXES,
    COMPANY_SUFFIXES,
    CONTACT_ROLES,
    FIRST_NAMES,
    INDUSTRIES,
    LAST_NAMES,
    PRODUCT_NAMES,
    PRODUCTS,
    TEAM_REGIONS,
    TYPE_SHARES,
)


class ClientsMixin:
    # Clients ----------------------------------------------------------------------------------

    # The demo BRM's anchor clients, so that every KPI family has something to show: (name,
    # type, days the relationship started before the window, sourced by the partner above).
    FORCED_DEMO_CLIENTS = [
        ("Acme Logistics", RelationshipType.STRATEGIC, 900, False),
        ("Cobalt Partners", RelationshipType.PARTNER, 800, False),
        ("Borealis Health", RelationshipType.FUNCTIONAL, 400, True),
        ("Dunmore & Sons", RelationshipType.PERSONAL, 300, False),
    ]

    def plan_clients(self) -> None:
        scale = self.scale
        average_book = scale.clients / scale.brms
        demo_weight = min(1.0, DEMO_BOOK_SIZE / average_book)
        used_names: set[str] = set()
        self.plans: list[ClientPlan] = []
        self.partners: list[ClientPlan] = []
        kinds, shares = zip(*TYPE_SHARES, strict=True)
        for index in range(scale.clients):
            rng = self.rng("client", index)
            forced = index < len(self.FORCED_DEMO_CLIENTS)
            sourced = False
            if forced:
                name, kind, days_before, sourced = self.FORCED_DEMO_CLIENTS[index]
                started = self.window_start - timedelta(days=days_before)
            else:
                kind = rng.choices(kinds, shares)[0]
                name = self.company_name(rng, used_names)
                if rng.random() < 0.45:
                    started = self.founded + timedelta(
                        days=rng.randrange((self.window_start - self.founded).days)
                    )
                else:
                    span = max(1, (self.today - self.window_start).days - 14)
                    started = self.window_start + timedelta(days=rng.randrange(span))
            used_names.add(name)
            if forced:
                owner = self.demo_id
            else:
                working = self.brms_working(started)
                weights = [demo_weight if b.id == self.demo_id else 1.0 for b in working]
                owner = rng.choices(working, weights)[0].id
            slug = "".join(c for c in name.lower() if c.isalnum())[:40]
            plan = ClientPlan(
                index=index,
                id=self.ids.take(Client),
                name=name,
                kind=kind,
                started_on=started,
                industry=rng.choice(INDUSTRIES),
                domain=f"{slug}.example",
                activity=rng.uniform(0.5, 1.5),
                sentiment=rng.gauss(0, 1),
                transfers=[(self.at(started), owner, "")],
                base_products=[PRODUCTS[0][0], *rng.sample(PRODUCT_NAMES[1:], rng.randint(0, 2))],
            )
            plan.lapsed_goals = not forced and rng.random() < 0.2
            if not forced and rng.random() < 0.12:
                plan.quiet_from = self.today - timedelta(days=rng.randint(95, 270))
            if kind == RelationshipType.PARTNER:
                self.partners.append(plan)
            elif sourced:
                plan.sourced_by = self.partners[0].id
            elif not forced and started >= self.window_start:
                sources = [p for p in self.partners if p.started_on < started - timedelta(30)]
                if sources and rng.random() < 0.12:
                    plan.sourced_by = rng.choice(sources).id
            self.plans.append(plan)

    def company_name(self, rng: random.Random, used: set[str]) -> str:
        for _ in range(6):
            name = (
                f"{rng.choice(COMPANY_PREFIXES)} {rng.choice(COMPANY_CORES)} "
                f"{rng.choice(COMPANY_SUFFIXES)}"
            )
            if name not in used:
                return name
        return f"{name} ({rng.choice(TEAM_REGIONS)} {rng.randint(2, 99)})"

    def transfer(self, plan: ClientPlan, when: datetime, owner: int, reason: str) -> None:
        """Hand ``plan`` to ``owner`` from ``when``, keeping the spans ordered and distinct."""
        starts = [t[0] for t in plan.transfers]
        position = bisect_right(starts, when)
        if position == 0 or plan.transfers[position - 1][1] == owner or when in starts:
            return
        plan.transfers.insert(position, (when, owner, reason))
        if position + 1 < len(plan.transfers) and plan.transfers[position + 1][1] == owner:
            del plan.transfers[position + 1]

    def owner_then(self, plan: ClientPlan, when: datetime) -> int:
        starts = [t[0] for t in plan.transfers]
        return plan.transfers[max(0, bisect_right(starts, when) - 1)][1]

    def plan_ownership(self) -> None:
        """Reassignments: the demo BRM gains and hands over a few clients, the leaver's book is
        shared out, the newcomer is given a starting book, and some clients move at random."""
        rng = self.rng("ownership")
        brm_by_id = {b.id: b for b in self.brms}
        window_days = (self.today - self.window_start).days
        touched: set[int] = set()

        def peer_of(owner_id: int, day: date, exclude: int) -> int | None:
            brm = brm_by_id[owner_id]
            team = brm.team_on(day)
            peers = [b for b in self.brms_working(day, team) if b.id not in (owner_id, exclude)]
            peers = peers or [b for b in self.brms_working(day) if b.id not in (owner_id,)]
            return rng.choice(peers).id if peers else None

        def when_in_window(plan: ClientPlan, low: float, high: float) -> datetime | None:
            first = max(plan.started_on + timedelta(days=30), self.window_start)
            first = max(first, self.window_start + timedelta(days=int(window_days * low)))
            last = self.window_start + timedelta(days=int(window_days * high))
            if last <= first:
                return None
            return self.moment(rng, first, last)

        # The demo BRM takes over two teammates' clients and hands two of their own on.
        mates = [
            p
            for p in self.plans[len(self.FORCED_DEMO_CLIENTS) :]
            if p.started_on < self.window_start
            and p.owner_id != self.demo_id
            and brm_by_id[p.owner_id].teams[0][2] == 0
            and brm_by_id[p.owner_id] not in (self.leaver, self.newcomer)
        ]
        for plan in mates[:2]:
            when = when_in_window(plan, 0.2, 0.8)
            if when:
                self.transfer(plan, when, self.demo_id, "Rebalanced the team's books")
                touched.add(plan.id)
        own = [
            p
            for p in self.plans[len(self.FORCED_DEMO_CLIENTS) :]
            if p.owner_id == self.demo_id and p.id not in touched
        ]
        for plan in own[:2]:
            when = when_in_window(plan, 0.3, 0.9)
            new_owner = when and peer_of(self.demo_id, when.date(), self.demo_id)
            if when and new_owner:
                self.transfer(plan, when, new_owner, "Client asked for a specialist")
                touched.add(plan.id)
        # Everything else may move once or twice, within the team where possible.
        for plan in self.plans:
            if plan.id in touched or plan.index < len(self.FORCED_DEMO_CLIENTS):
                continue
            moves = 2 if rng.random() < 0.02 else 1 if rng.random() < 0.08 else 0
            for _ in range(moves):
                when = when_in_window(plan, 0.0, 0.97)
                if when is None:
                    break
                current = self.owner_then(plan, when)
                new_owner = peer_of(current, when.date(), self.demo_id)
                if new_owner:
                    self.transfer(plan, when, new_owner, "Rebalanced the team's books")
        if self.leaver is not None:
            when = self.at(self.leaver.left, 9)
            for plan in self.plans:
                if plan.started_on < self.leaver.left and self.owner_then(plan, when) == (
                    self.leaver.id
                ):
                    new_owner = peer_of(self.leaver.id, self.leaver.left, self.demo_id)
                    if new_owner:
                        reason = f"{self.names[self.leaver.id]} left the company"
                        self.transfer(plan, when, new_owner, reason)
        if self.newcomer is not None:
            day = self.midpoint + timedelta(days=14)
            when = self.at(day, 9)
            team = self.newcomer.team_on(self.midpoint)
            donors = {b.id for b in self.brms_working(day, team)} - {
                self.newcomer.id,
                self.demo_id,
            }
            share = int(self.scale.clients / self.scale.brms / 2)
            candidates = [
                p
                for p in self.plans
                if p.started_on < day and self.owner_then(p, when) in donors and p.id not in touched
            ]
            for plan in rng.sample(candidates, min(share, len(candidates))):
                self.transfer(plan, when, self.newcomer.id, "Starting book for a new BRM")
        for plan in self.plans:
            plan.timeline = OwnershipTimeline(
                [
                    ClientOwnership(owner_id=owner, started_at=start)
                    for start, owner, _ in plan.transfers
                ]
            )
        self.demo_plans = [p for p in self.plans if any(t[1] == self.demo_id for t in p.transfers)]

    def plan_statuses(self) -> None:
        """Some clients churn, and some of those come back."""
        for plan in self.plans:
            rng = self.rng("status", plan.index)
            plan.statuses = [(plan.started_on, LifecycleStatus.ACTIVE, "Relationship started")]
            chance = 0.05 if plan.kind == RelationshipType.STRATEGIC else 0.14
            if plan.index < len(self.FORCED_DEMO_CLIENTS) or rng.random() >= chance:
                continue
            first = max(plan.started_on + timedelta(days=90), self.window_start)
            last = self.today - timedelta(days=14)
            if last <= first:
                continue
            churned = first + timedelta(days=rng.randrange((last - first).days))
            plan.statuses.append((churned, LifecycleStatus.CHURNED, rng.choice(CHURN_REASONS)))
            back = churned + timedelta(days=rng.randint(60, 300))
            if rng.random() < 0.3 and back < self.today - timedelta(days=7):
                plan.statuses.append((back, LifecycleStatus.ACTIVE, "Came back"))

    def plan_contacts(self) -> None:
        counts = {
            RelationshipType.PERSONAL: (1, 3),
            RelationshipType.FUNCTIONAL: (2, 5),
            RelationshipType.STRATEGIC: (4, 7),
            RelationshipType.PARTNER: (2, 4),
        }
        for plan in self.plans:
            rng = self.rng("contacts", plan.index)
            low, high = counts[plan.kind]
            for number in range(rng.randint(low, high)):
                if number < 2:
                    created = self.at(plan.started_on, rng.randint(9, 16))
                else:
                    created = self.moment(rng, plan.started_on, self.today)
                self.add_contact(plan, rng, created)
        rng = self.rng("contacts-demo")
        for month in self.covered_months:
            found = self.demo_moment(rng, month)
            if found:
                self.add_contact(found[0], rng, found[1])

    def add_contact(self, plan: ClientPlan, rng: random.Random, created: datetime) -> None:
        name = f"{rng.choice(FIRST_NAMES)} {rng.choice(LAST_NAMES)}"
        contact = ContactPlan(self.ids.take(Contact), name, created, rng.random() < 0.04)
        position = bisect_right(plan.contact_times, created)
        plan.contacts.insert(position, contact)
        plan.contact_times.insert(position, created)
        self.note("contact_added", plan.owner_at(created), created)

    def load_clients(self) -> None:
        clients, ownerships, statuses, contacts = [], [], [], []
        brm_by_id = {b.id: b for b in self.brms}
        for plan in self.plans:
            clients.append(
                (
                    plan.id,
                    plan.name,
                    plan.kind,
                    plan.started_on,
                    plan.statuses[-1][1],
                    plan.owner_id,
                    plan.sourced_by,
                    plan.industry,
                    f"https://www.{plan.domain}",
                    "",
                    self.at(plan.started_on, 9),
                )
            )
            for position, (start, owner, reason) in enumerate(plan.transfers):
                after = (
                    plan.transfers[position + 1][0] if position + 1 < len(plan.transfers) else None
                )
                manager = None
                if position:
                    team = brm_by_id[plan.transfers[position - 1][1]].team_on(start.date())
                    manager = self.managers[team]
                ownerships.append((plan.id, owner, start, after, manager, reason))
            for effective_on, status, reason in plan.statuses:
                statuses.append(
                    (
                        plan.id,
                        status,
                        effective_on,
                        reason,
                        plan.owner_at(effective_on),
                        self.at(effective_on, 17),
                    )
                )
            rng = self.rng("contact-details", plan.index)
            for contact in plan.contacts:
                first, last = contact.name.lower().split(" ", 1)
                contacts.append(
                    (
                        contact.id,
                        plan.id,
                        contact.name,
                        f"{first}.{last}@{plan.domain}",
                        f"+44 20 7946 {rng.randrange(1000):03d}",
                        rng.choice(CONTACT_ROLES),
                        contact.created_at,
                        contact.opted_out,
                        contact.created_at + (self.end - contact.created_at) / 2
                        if contact.opted_out
                        else None,
                    )
                )
        self.loader.load(
            Client,
            [
                "id",
                "name",
                "relationship_type",
                "relationship_started_on",
                "status",
                "owner_id",
                "sourced_by_partner_id",
                "industry",
                "website",
                "notes",
                "created_at",
            ],
            clients,
        )
        self.loader.load(
            ClientOwnership,
            ["client_id", "owner_id", "started_at", "ended_at", "changed_by_id", "reason"],
            ownerships,
        )
        self.loader.load(
            ClientStatusChange,
            ["client_id", "status", "effective_on", "reason", "recorded_by_id", "recorded_at"],
            statuses,
        )
        self.loader.load(
            Contact,
            [
                "id",
                "client_id",
                "name",
                "email",
                "phone",
                "role",
                "created_at",
                "opted_out_of_surveys",
                "opted_out_at",
            ],
            contacts,
        )
        self.finish(Client, ClientOwnership, ClientStatusChange, Contact)
