"""Demo pipeline and money: deals moving through the stages, and recognised revenue."""

from __future__ import annotations

import random
from datetime import datetime, timedelta

from crm.models import (
    Deal,
    DealStageChange,
    RelationshipType,
    RevenueLine,
)
from demo.plans import ClientPlan, add_months, money, month_start, poisson
from demo.vocabulary import (
    DEAL_BASE_VALUE,
    DEAL_WIN_CHANCE,
    DEALS,
    MONTHLY_RATES,
    PRODUCT_NAMES,
    SERVICES_PRODUCT,
    VALUE_FACTOR,
)


class PipelineMixin:
    # Deals ------------------------------------------------------------------------------------

    def build_deals(self) -> None:
        deals: list[tuple] = []
        changes: list[tuple] = []
        for plan in self.plans:
            rng = self.rng("deals", plan.index)
            if plan.started_on >= self.window_start:
                created = self.at(plan.started_on, 10)
                self.deal(plan, rng, created, Deal.Kind.NEW, deals, changes)
            lam = MONTHLY_RATES[plan.kind][DEALS]
            for first, after in plan.active_spans(self.window_start, self.today):
                for _ in range(poisson(rng, lam * (after - first).days / 30.4)):
                    kind = rng.choices(
                        [Deal.Kind.UPSELL, Deal.Kind.CROSS_SELL, Deal.Kind.RENEWAL], [35, 25, 40]
                    )[0]
                    self.deal(plan, rng, self.moment(rng, first, after), kind, deals, changes)
        rng = self.rng("deals-demo")
        for key, outcome in (("deal_won", True), ("deal_lost", False), ("upsell_closed", True)):
            for month in self.gaps(key):
                found = self.demo_moment(rng, month)
                if found:
                    plan, closes = found
                    kind = Deal.Kind.RENEWAL if key == "deal_won" else Deal.Kind.UPSELL
                    self.deal(plan, rng, None, kind, deals, changes, won=outcome, closes=closes)
        self.loader.load(
            Deal,
            [
                "id",
                "client_id",
                "owner_id",
                "title",
                "kind",
                "value",
                "created_at",
                "stage_id",
                "closed_at",
                "partner_id",
                "partner_role",
            ],
            deals,
        )
        self.loader.load(
            DealStageChange,
            [
                "deal_id",
                "owner_id",
                "from_stage_id",
                "to_stage_id",
                "entered_from_at",
                "changed_at",
                "changed_by_id",
            ],
            changes,
        )
        self.finish(Deal, DealStageChange)

    def deal(
        self,
        plan: ClientPlan,
        rng: random.Random,
        created: datetime | None,
        kind: str,
        deals: list[tuple],
        changes: list[tuple],
        *,
        won: bool | None = None,
        closes: datetime | None = None,
    ) -> None:
        """A deal walking the pipeline. With ``closes`` it is dated backwards from its close."""
        if won is None:
            won = rng.random() < DEAL_WIN_CHANCE[kind]
        path = list(self.open_stages)
        if won and len(path) > 1 and rng.random() < 0.08:
            path += [path[-2], path[-1]]  # sent back for a new proposal, then on again
        if not won:
            path = path[: rng.randint(1, len(path))]
        path.append(self.won if won else self.lost)
        dwell = [timedelta(days=rng.uniform(5, 40)) for _ in path[1:]]
        if closes is not None:
            created = closes - sum(dwell, timedelta())
            earliest = self.at(plan.started_on, 9)
            if created < earliest:
                shrink = (closes - earliest) / (closes - created)
                dwell = [d * shrink for d in dwell]
                created = earliest
        deal_id = self.ids.take(Deal)
        owner = plan.owner_at(created)
        steps = [(None, path[0], None, created)]
        for stage, wait in zip(path[1:], dwell, strict=True):
            moved = steps[-1][3] + wait
            if moved >= self.end:
                break
            steps.append((steps[-1][1], stage, steps[-1][3], moved))
        for from_stage, to_stage, entered, moved in steps:
            changes.append(
                (
                    deal_id,
                    plan.owner_at(moved),
                    from_stage and from_stage.id,
                    to_stage.id,
                    entered,
                    moved,
                    plan.owner_at(moved),
                )
            )
        final, closed = steps[-1][1], None
        if final.is_terminal:
            closed = steps[-1][3]
            closer = plan.owner_at(closed)
            self.note("deal_won" if final == self.won else "deal_lost", closer, closed)
            if kind in (Deal.Kind.UPSELL, Deal.Kind.CROSS_SELL):
                self.note("upsell_closed", closer, closed)
        low, high = DEAL_BASE_VALUE[kind]
        value = money(round(rng.uniform(low, high) * VALUE_FACTOR[plan.kind], -2))
        held = set(plan.base_products) | {
            name for name in PRODUCT_NAMES if self.products[name] in {p[1] for p in plan.products}
        }
        if kind == Deal.Kind.CROSS_SELL:
            product = rng.choice([n for n in PRODUCT_NAMES if n not in held] or PRODUCT_NAMES)
        else:
            product = rng.choice(sorted(held))
        partner, role = None, ""
        if plan.sourced_by and kind == Deal.Kind.NEW:
            partner, role = plan.sourced_by, Deal.PartnerRole.SOURCED
        elif self.partners and plan.kind != RelationshipType.PARTNER and rng.random() < 0.08:
            partner, role = rng.choice(self.partners).id, Deal.PartnerRole.INFLUENCED
        if closed and final == self.won and kind != Deal.Kind.RENEWAL:
            # Won business is billed monthly from the following month on.
            plan.products.append(
                (add_months(closed.date(), 1), self.products[product], float(value) / 12, deal_id)
            )
        deals.append(
            (
                deal_id,
                plan.id,
                owner,
                f"{product} – {Deal.Kind(kind).label.lower()} for {plan.name}",
                kind,
                value,
                created,
                final.id,
                closed,
                partner,
                role,
            )
        )

    # Revenue ----------------------------------------------------------------------------------

    def build_revenue(self) -> None:
        rows: list[tuple] = []
        services = self.products[SERVICES_PRODUCT]
        for plan in self.plans:
            rng = self.rng("revenue", plan.index)
            factor = VALUE_FACTOR[plan.kind]
            lines = [
                (plan.started_on, self.products[name], self.prices[name] * factor, None)
                for name in plan.base_products
            ]
            lines += plan.products
            margins = {line[1]: rng.uniform(0.3, 0.7) for line in lines}
            for month in self.months:
                first = month_start(month)
                if first >= self.today or not plan.active_on(first):
                    continue
                owner = plan.owner_at(first)
                for start, product, monthly, deal_id in lines:
                    if start <= first:
                        amount = monthly * rng.uniform(0.95, 1.05)
                        rows.append(
                            (
                                plan.id,
                                owner,
                                product,
                                first,
                                money(amount),
                                money(amount * margins[product]),
                                deal_id,
                                "Monthly subscription",
                            )
                        )
                if rng.random() < 0.08:
                    day = first + timedelta(days=rng.randint(0, 27))
                    if day < self.today:
                        amount = rng.uniform(2000, 20000) * factor
                        rows.append(
                            (
                                plan.id,
                                plan.owner_at(day),
                                services,
                                day,
                                money(amount),
                                money(amount * rng.uniform(0.6, 0.85)),
                                None,
                                "Consulting days",
                            )
                        )
        self.loader.load(
            RevenueLine,
            [
                "client_id",
                "owner_id",
                "product_id",
                "recognised_on",
                "amount",
                "cost_to_serve",
                "deal_id",
                "description",
            ],
            rows,
        )
        self.finish(RevenueLine)
