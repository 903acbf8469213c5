"""Revenue and deals."""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Iterable
from decimal import Decimal
from itertools import pairwise

from django.core.exceptions import ValidationError

from crm.imports.columns import Column, Kind
from crm.imports.context import ImportContext, Row, clean_instance
from crm.imports.formats.base import (
    CLIENT,
    EventFormat,
    RecordFormat,
    choice_column,
    client_of,
    error_messages,
    fold,
)
from crm.models import Client, Deal, DealStage, DealStageChange, Product, RevenueLine
from crm.services import deal_create, deal_move


def _deals_by_title(clients: Iterable[Client]) -> dict[tuple[int, str], list[int]]:
    index: dict[tuple[int, str], list[int]] = defaultdict(list)
    for deal_id, client_id, title in Deal.objects.filter(
        client__in={client.pk for client in clients}
    ).values_list("id", "client_id", "title"):
        index[(client_id, fold(title))].append(deal_id)
    return index


class RevenueFormat(EventFormat):
    key = "revenue"
    label = "revenue lines"
    model = RevenueLine
    same_as = ("client_id", "recognised_on", "amount", "description")
    same_as_words = "A revenue line of this client on this day, of this amount and description,"
    sort_by = ("client.name", "recognised_on", "product.name")
    help = (
        "Recognised revenue, credited to the owner on recognised_on. A product that does not "
        "exist yet is added to the product list (matched by name in any case)."
    )
    columns = (
        CLIENT,
        Column("product", required=True, example="Freight analytics", source="product.name"),
        Column("recognised_on", Kind.DATE, required=True, example="2025-01-31"),
        Column(
            "amount",
            Kind.DECIMAL,
            required=True,
            help="any sign: a negative amount is a credit or refund",
            example="12500.00",
        ),
        Column("cost_to_serve", Kind.DECIMAL, help="0 or more; default 0", example="4000.00"),
        Column(
            "deal",
            help="title of one of the client's deals",
            example="Analytics upsell",
            source="deal.title",
        ),
        Column("description"),
    )
    stored = ("recognised_on", "amount", "description")
    credited_at = "recognised_on"

    def prepare(self, rows: list[Row], ctx: ImportContext) -> None:
        self._products = {fold(p.name): p for p in Product.objects.all()}
        self._deals = _deals_by_title(row.client for row in rows)

    def build(self, row: Row, ctx: ImportContext) -> RevenueLine:
        values = row.values
        product_field = Product._meta.get_field("name")
        if len(values["product"]) > product_field.max_length:
            row.fail(f"product: at most {product_field.max_length} characters.")
        deal_id = None
        if values["deal"]:
            deal_ids = self._deals.get((row.client.pk, fold(values["deal"])), [])
            if len(deal_ids) == 1:
                deal_id = deal_ids[0]
            else:
                found = "no" if not deal_ids else str(len(deal_ids))
                row.fail(f'deal: {row.client} has {found} deals titled "{values["deal"]}".')
        return self.record(
            row,
            ctx,
            cost_to_serve=(
                Decimal("0") if values["cost_to_serve"] is None else values["cost_to_serve"]
            ),
            deal_id=deal_id,
        )

    def save(self, rows: list[Row], ctx: ImportContext) -> dict[str, int]:
        new_products: dict[str, Product] = {}
        for row in rows:
            name = fold(row.values["product"])
            if name not in self._products and name not in new_products:
                new_products[name] = Product(name=row.values["product"])
        Product.objects.bulk_create(list(new_products.values()))
        self._products.update(new_products)
        for row in rows:
            row.instance.product = self._products[fold(row.values["product"])]
        counts = super().save(rows, ctx)
        return {**counts, "new products": len(new_products)}


class DealsFormat(RecordFormat):
    key = "deals"
    label = "deals"
    # One line per stage change, the deal's columns repeated on each.
    export_model = DealStageChange
    export_scope = "deal__client"
    sort_by = (
        "deal.client.name",
        "deal.created_at",
        "deal.title",
        "deal.pk",
        "changed_at",
        "pk",
    )
    help = (
        "Deals with their whole stage history, one row per stage the deal entered. A deal is "
        "its client, title and created_at; its first row is its creation (changed_at equal to "
        "created_at, in an open stage) and the deal columns repeat on every row. Later rows "
        "move it on in time order; won and lost are final. Each move records when the deal "
        "entered and left the stage before, as crm.services.deal_move does."
    )
    columns = (
        client_of("deal"),
        Column("title", required=True, example="Analytics upsell", source="deal.title"),
        choice_column("kind", Deal.Kind, help="default new", example="new", source="deal.kind"),
        Column(
            "value",
            Kind.DECIMAL,
            required=True,
            help="0 or more",
            example="40000.00",
            source="deal.value",
        ),
        Column(
            "created_at",
            Kind.DATETIME,
            required=True,
            example="2025-01-06T09:00:00+00:00",
            source="deal.created_at",
        ),
        Column(
            "partner",
            Kind.CLIENT,
            help="a partner client that sourced or influenced it",
            source="deal.partner.name",
        ),
        choice_column(
            "partner_role",
            Deal.PartnerRole,
            help="default sourced when a partner is given",
            source="deal.partner_role",
        ),
        Column(
            "stage",
            required=True,
            help="a pipeline stage, by name",
            example="Qualified",
            source="to_stage.name",
        ),
        Column("changed_at", Kind.DATETIME, required=True, example="2025-01-06T09:00:00+00:00"),
        Column("changed_by", Kind.USER),
    )
    deal_columns = ("kind", "value", "partner", "partner_role")

    def check(self, rows: list[Row], ctx: ImportContext) -> None:
        stages = {fold(stage.name): stage for stage in DealStage.objects.all()}
        stage_names = ", ".join(stage.name for stage in stages.values())
        for row in ctx.resolve_clients(rows, "client"):
            stage = stages.get(fold(row.values["stage"]))
            if stage is None:
                row.fail(f'stage: "{row.values["stage"]}" is not one of: {stage_names}.')
            row.refs = {
                "stage": stage,
                "partner": ctx.client(row, "partner", partner=True),
                "changed_by": ctx.user(row, "changed_by"),
            }
        ok = [row for row in rows if row.ok]
        existing = {
            (client_id, fold(title), created_at)
            for client_id, title, created_at in Deal.objects.filter(
                client__in={row.client.pk for row in ok}
            ).values_list("client_id", "title", "created_at")
        }
        deals: dict[tuple, list[Row]] = defaultdict(list)
        for row in ok:
            key = (row.client.pk, fold(row.values["title"]), row.values["created_at"])
            deals[key].append(row)
        self._histories = list(deals.values())
        for key, history in deals.items():
            if key in existing:
                history[0].fail(
                    f'{history[0].client} already has the deal "{history[0].values["title"]}" '
                    "created at that time; a deals file brings whole new deals."
                )
            self._check_history(history)

    def _check_history(self, history: list[Row]) -> None:
        first = history[0]
        if first.values["changed_at"] != first.values["created_at"]:
            first.fail(
                "changed_at: the first row of a deal is its creation, so changed_at must equal "
                "created_at."
            )
        if first.refs["stage"].is_terminal:
            first.fail(f"stage: a deal starts in an open stage, not {first.refs['stage']}.")
        draft = Deal(
            title=first.values["title"],
            kind=first.values["kind"] or Deal.Kind.NEW,
            value=first.values["value"],
            created_at=first.values["created_at"],
            partner_role=first.values["partner_role"] or "",
        )
        clean_instance(first, draft)
        for previous, row in pairwise(history):
            for column in self.deal_columns:
                if row.values[column] != first.values[column]:
                    row.fail(f"{column}: differs from the deal's first row (line {first.line}).")
            stage, previous_stage = row.refs["stage"], previous.refs["stage"]
            if previous_stage.is_terminal:
                row.fail(f"stage: the deal was already {previous_stage} (line {previous.line}).")
            elif stage == previous_stage:
                row.fail(f"stage: the deal is already in {stage} (line {previous.line}).")
            if row.values["changed_at"] < previous.values["changed_at"]:
                row.fail(f"changed_at: before the previous stage change (line {previous.line}).")

    def save(self, rows: list[Row], ctx: ImportContext) -> dict[str, int]:
        # Through the services, so the stage history is exactly what moving the deal by hand
        # records: who owned it at each change, and when each stage was entered and left.
        for first, *moves in self._histories:
            row = first
            try:
                deal = deal_create(
                    client=first.client,
                    title=first.values["title"],
                    value=first.values["value"],
                    kind=first.values["kind"] or Deal.Kind.NEW,
                    stage=first.refs["stage"],
                    created_at=first.values["created_at"],
                    created_by=first.refs["changed_by"],
                    partner=first.refs["partner"],
                    partner_role=first.values["partner_role"] or "",
                )
                for row in moves:
                    deal_move(
                        deal=deal,
                        to_stage=row.refs["stage"],
                        at=row.values["changed_at"],
                        by=row.refs["changed_by"],
                    )
            except ValidationError as error:
                for message in error_messages(error):
                    row.fail(message)
        return {"deals": len(self._histories), "stage changes": len(rows)}
