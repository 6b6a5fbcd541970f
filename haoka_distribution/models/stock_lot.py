import itertools
import re
from collections import defaultdict
from datetime import timedelta

from psycopg2.extras import execute_values

from odoo import api, fields, models
from odoo.exceptions import UserError, ValidationError
from odoo.tools.translate import LazyTranslate

from ..tools import grade, params, pgcopy, secrets, sim, texts
from ..tools.groups import MANAGER_GROUP
from .haoka_secret_mixin import Secret
from .stock_move import BULK_LINE_GROUPS

_lt = LazyTranslate(__name__)
PUK_RE = re.compile(r"^\d{8}$")
PIN_RE = re.compile(r"^\d{4,8}$")
CARD_STATES = [
    ("available", "Available"),
    ("reserved", "Reserved"),
    ("sold", "Sold"),
    ("shipped", "Shipped"),
    ("delivered", "Delivered"),
    ("activated", "Activated"),
    ("returned", "Returned"),
    ("expired", "Expired"),
    ("void", "Void"),
]
#: states in which a card can still be sold: the expiry job only moves these to 'expired'
SELLABLE_STATES = ("available",)
#: ids drawn from a sequence at a time by a bulk import
BULK_ID_BLOCK = 5000
#: the columns of a card written by a bulk import (see StockLot._haoka_lot_row_maker)
BULK_LOT_COLUMNS = [
    "id", "name", "product_id", "product_uom_id", "company_id", "location_id", "msisdn",
    "puk_cipher", "puk_hash", "pin_cipher", "haoka_carrier_id",
    "iccid_warning", "msisdn_warning", "haoka_warning", "grade_id", "grade_pattern",
    "expiration_date", "use_date", "removal_date", "alert_date",
    "create_uid", "create_date", "write_uid", "write_date",
    "is_sim_card", "card_state", "product_expiry_reminded",
]


class StockLot(models.Model):
    """A SIM card (号卡) is a lot of a SIM plan: the ICCID is the lot name.

    Everything here is scoped to lots of SIM plans (``is_sim_card``); other lots behave as in
    standard Odoo.
    """

    _name = "stock.lot"
    _inherit = ["stock.lot", "haoka.secret.mixin"]
    _rec_names_search = ["name", "msisdn"]

    is_sim_card = fields.Boolean(
        related="product_id.is_sim_card", store=True, string="Is a SIM Card"
    )
    haoka_carrier_id = fields.Many2one(
        related="product_id.haoka_carrier_id", store=True, string="Carrier"
    )
    msisdn = fields.Char(string="Phone Number", index="trigram", tracking=True, copy=False)
    msisdn_tail = fields.Char(
        string="Number Tail", compute="_compute_msisdn_tail", search="_search_msisdn_tail"
    )
    puk_cipher = fields.Char(groups=MANAGER_GROUP, copy=False, string="Encrypted PUK")
    puk_hash = fields.Char(groups=MANAGER_GROUP, copy=False, index="btree_not_null", string="PUK Search Hash")
    pin_cipher = fields.Char(groups=MANAGER_GROUP, copy=False, string="Encrypted PIN")
    puk = fields.Char(
        string="PUK",
        compute="_compute_haoka_secret_masks",
        inverse="_inverse_puk",
        search="_search_puk",
        help="8-digit PUK, stored encrypted. Only SIM managers can reveal it.",
    )
    pin = fields.Char(
        string="PIN",
        compute="_compute_haoka_secret_masks",
        inverse="_inverse_pin",
        help="4 to 8-digit PIN, stored encrypted. Only SIM managers can reveal it.",
    )
    card_state = fields.Selection(
        CARD_STATES, string="Card State", index=True, tracking=True, copy=False,
        help="Where the card is in its life: in stock, reserved, sold, shipped, received, activated, "
        "returned, expired or void.",
    )
    iccid_warning = fields.Boolean(
        string="ICCID Warning", compute="_compute_warnings", store=True,
        help="The ICCID failed its check digit or its prefix does not belong to the plan's carrier.",
    )
    msisdn_warning = fields.Boolean(
        string="Number Warning", compute="_compute_warnings", store=True,
        help="The number's segment is not one of the carrier's segments.",
    )
    haoka_warning = fields.Char(string="Warnings", compute="_compute_warnings", store=True)
    grade_id = fields.Many2one(
        "haoka.number.grade", string="Number Grade", compute="_compute_grade", store=True,
        index="btree_not_null", ondelete="set null",  # most numbers have no grade: searched by grade only
    )
    grade_pattern = fields.Char(string="Matched Pattern", compute="_compute_grade", store=True)
    grade_level = fields.Integer(related="grade_id.level", string="Grade Level")
    expiring_soon = fields.Boolean(compute="_compute_expiring_soon", search="_search_expiring_soon")
    grade_price_premium = fields.Monetary(
        related="grade_id.price_premium", string="Price Premium", currency_field="grade_currency_id"
    )
    grade_currency_id = fields.Many2one(related="grade_id.currency_id", string="Grade Currency")
    haoka_hold_line_id = fields.Many2one(
        "sale.order.line", string="Held for Order Line", copy=False, index="btree_not_null", ondelete="set null",
        readonly=True,
    )
    haoka_hold_until = fields.Datetime(string="Held Until", copy=False, readonly=True)
    haoka_activated_date = fields.Date(string="Activated On", copy=False, readonly=True, tracking=True,
                                       help="激活: the day the carrier reported the card activated.")
    haoka_first_topup_amount = fields.Monetary(
        string="First Top-up", copy=False, readonly=True, tracking=True, currency_field="haoka_currency_id",
        help="首充: the amount of the card's first top-up, as reported by the carrier.",
    )
    haoka_first_topup_date = fields.Date(string="First Top-up On", copy=False, readonly=True)
    haoka_closed_date = fields.Date(
        string="Closed On", copy=False, readonly=True, tracking=True, index="btree_not_null",
        help="销户: the day the carrier reported the number closed.",
    )
    haoka_currency_id = fields.Many2one("res.currency", compute="_compute_haoka_currency_id", string="Currency")

    @api.depends("name", "msisdn", "is_sim_card")
    def _compute_display_name(self):
        """A SIM card reads as its number first (what sales staff and customers know), then its ICCID."""
        super()._compute_display_name()
        for lot in self.filtered(lambda lot: lot.is_sim_card and lot.msisdn):
            lot.display_name = "%s · %s" % (lot.msisdn, lot.name)

    @api.depends("company_id")
    def _compute_haoka_currency_id(self):
        for lot in self:
            lot.haoka_currency_id = (lot.company_id or self.env.company).currency_id

    def init(self):
        super().init()
        # Odoo's own lot uniqueness is per product and Python-only: for SIM cards the ICCID and the
        # number are unique per company across all plans, enforced by the database.
        # Leading columns name / msisdn, so that exact look-ups (import duplicates, 一证五户) use them.
        self.env.cr.execute(
            """
            DROP INDEX IF EXISTS stock_lot_haoka_iccid_uniq;
            DROP INDEX IF EXISTS stock_lot_haoka_msisdn_uniq;
            CREATE UNIQUE INDEX IF NOT EXISTS stock_lot_haoka_iccid_company_uniq
                ON stock_lot (name, COALESCE(company_id, 0)) WHERE is_sim_card;
            CREATE UNIQUE INDEX IF NOT EXISTS stock_lot_haoka_msisdn_company_uniq
                ON stock_lot (msisdn, COALESCE(company_id, 0)) WHERE is_sim_card AND msisdn IS NOT NULL;
            -- indexes of earlier versions that no search needs (a boolean, three carriers) and every
            -- import pays for
            DROP INDEX IF EXISTS stock_lot__is_sim_card_index;
            DROP INDEX IF EXISTS stock_lot__haoka_carrier_id_index;
            -- earlier versions indexed every card's grade, most of them none
            DO $$ BEGIN
                IF EXISTS (SELECT 1 FROM pg_indexes WHERE indexname = 'stock_lot__grade_id_index'
                                                      AND indexdef NOT LIKE '%WHERE%') THEN
                    DROP INDEX stock_lot__grade_id_index;
                    CREATE INDEX stock_lot__grade_id_index ON stock_lot (grade_id) WHERE grade_id IS NOT NULL;
                END IF;
            END $$;
            """
        )
        # The SIM cards (ids) having one of these ICCIDs or numbers, looked up in the unique b-trees (or a scan
        # of the table, once). Left to itself the planner may pick the trigram (GIN) indexes, whose whole
        # pending list is then scanned for each value (~10 ms a look-up right after a large import, until
        # autovacuum merges the list: minutes for a file of 100,000 cards).
        self.env.cr.execute(
            """
            CREATE OR REPLACE FUNCTION haoka_sim_cards_matching(iccids varchar[], numbers varchar[])
            RETURNS SETOF integer LANGUAGE sql STABLE SET enable_bitmapscan = off AS $$
                SELECT id FROM stock_lot WHERE is_sim_card AND name = ANY(iccids)
                UNION
                SELECT id FROM stock_lot WHERE is_sim_card AND msisdn IS NOT NULL AND msisdn = ANY(numbers)
            $$
            """
        )
        # ICCID prefix searches (LIKE '8986...%'): in a database with the C collation (as Odoo creates
        # them) the unique index above serves them; otherwise they need a text_pattern_ops index
        self.env.cr.execute("SELECT datcollate IN ('C', 'POSIX') FROM pg_database WHERE datname = current_database()")
        if self.env.cr.fetchone()[0]:
            self.env.cr.execute("DROP INDEX IF EXISTS stock_lot_haoka_iccid_prefix")
        else:
            self.env.cr.execute(
                """CREATE INDEX IF NOT EXISTS stock_lot_haoka_iccid_prefix
                       ON stock_lot (name text_pattern_ops) WHERE is_sim_card"""
            )

    # ------------------------------------------------------------------ create / write

    @api.model
    def _haoka_is_sim_product(self, product_id):
        return bool(product_id) and self.env["product.product"].browse(product_id).sudo().is_sim_card

    @api.model
    def _haoka_normalize_vals(self, vals):
        vals = dict(vals)
        if vals.get("name"):
            vals["name"] = sim.normalize_iccid(vals["name"])
        if "msisdn" in vals:
            vals["msisdn"] = sim.normalize_msisdn(vals["msisdn"]) or False
        return vals

    @api.model_create_multi
    def create(self, vals_list):
        sim_products = {}
        new_list = []
        for vals in vals_list:
            product_id = vals.get("product_id")
            if product_id not in sim_products:
                sim_products[product_id] = self._haoka_is_sim_product(product_id)
            if sim_products[product_id]:
                vals = self._haoka_normalize_vals(vals)
                vals.setdefault("card_state", "available")
                # core product_expiry logs one activity per expired lot; SIM cards get one activity per
                # plan from this addon's expiry job instead
                vals.setdefault("product_expiry_reminded", True)
            new_list.append(vals)
        self._haoka_precheck_unique(
            [vals for vals in new_list if sim_products[vals.get("product_id")]]
        )
        lots = super().create(new_list)
        lots.invalidate_recordset(["puk", "pin"])  # keep no clear secret in the cache
        if self.env.context.get("haoka_manual_entry"):
            lots.filtered("is_sim_card")._haoka_receive_in_stock()
        return lots

    def write(self, vals):
        if {"name", "msisdn"} & set(vals):
            sims = self.filtered("is_sim_card")
            if sims and sims != self:
                super(StockLot, self - sims).write(vals)
                return super(StockLot, sims).write(self._haoka_normalize_vals(vals))
            if sims:
                vals = self._haoka_normalize_vals(vals)
        result = super().write(vals)
        if {"puk", "pin"} & set(vals):
            self.invalidate_recordset(["puk", "pin"])  # keep no clear secret in the cache
        return result

    def _haoka_receive_in_stock(self, location=None):
        """Put new cards in stock through a validated receipt per company and plan, so quants,
        traceability and inventory reports count them like any received serial."""
        by_company = defaultdict(lambda: self.browse())
        for lot in self:
            by_company[lot.company_id or self.env.company] |= lot
        for company, lots in by_company.items():
            warehouse = self.env["stock.warehouse"].search([("company_id", "=", company.id)], limit=1)
            if not warehouse:
                raise UserError(
                    self.env._("Company %(company)s has no warehouse to receive cards into.", company=company.name)
                )
            self._haoka_bulk_receive(
                {product: product_lots.ids for product, product_lots in lots.grouped("product_id").items()},
                location or warehouse.lot_stock_id,
                self.env._("SIM cards entered by hand"),
            )
        return True

    # ------------------------------------------------------------------ bulk (import)

    @api.model
    def _haoka_bulk_insert(self, cards, location):
        """Insert new cards (lots only, not received into stock) and return ``{iccid: lot id}``.

        :param cards: list of dicts with ``iccid``, ``product`` (product.product), ``msisdn``, ``puk``,
            ``pin``, ``expiration_date`` (datetime); values already normalised and validated, ICCIDs and
            numbers checked against the database by the caller.
        :param location: where the cards will be received (stored as the lots' single location).
        Computed fields are filled exactly as the ORM computes them (tested against ``create``).
        """
        self.env.flush_all()
        ids = pgcopy.next_ids(self.env.cr, "stock_lot", len(cards))
        make_row = self._haoka_lot_row_maker({card["product"] for card in cards}, location)
        pgcopy.copy_rows_streamed(self.env.cr, "stock_lot", BULK_LOT_COLUMNS, (
            make_row(card, lot_id) for card, lot_id in zip(cards, ids, strict=True)
        ), chunk_size=2000)
        self.invalidate_model()
        return {card["iccid"]: lot_id for card, lot_id in zip(cards, ids, strict=True)}

    @api.model
    def _haoka_import_cards(self, card_chunks, counts_by_product, location, origin, progress=None):
        """Create new cards and receive them into ``location``: one validated receipt per plan, with a move
        line per card, as :meth:`_haoka_bulk_receive` makes it. Returns the receipts.

        The lots, move lines and quants of each chunk are written by PostgreSQL while the next chunk is
        produced (see :class:`~..tools.pgcopy.Pipeline`); then Odoo validates the receipts. A card whose
        ICCID or number exists in the same company breaks the database's unique indexes: the error
        (``psycopg2.IntegrityError``) is raised and nothing is left written once the caller rolls back.

        :param card_chunks: iterable of lists of card dicts (see :meth:`_haoka_bulk_insert`); it may produce
            them lazily (e.g. check the file's rows chunk by chunk) and must not use the database.
        :param counts_by_product: ``{product.product: number of cards}``, exactly what the chunks hold.
        :param progress: called with the number of cards written so far, after each chunk.
        """
        receipt = _BulkReceipt(self.env, counts_by_product, location, origin)
        make_row = self._haoka_lot_row_maker(list(counts_by_product), location)
        written = 0
        with pgcopy.Pipeline(self.env.cr) as pipe:
            lot_ids = pipe.ids("stock_lot", BULK_ID_BLOCK)
            receipt.start(pipe)
            for cards in card_chunks:
                written += len(cards)
                if written > receipt.total:
                    raise UserError(self.env._("More cards than announced for this import."))
                lots = list(zip(lot_ids.take(len(cards)), cards, strict=True))
                pipe.copy("stock_lot", BULK_LOT_COLUMNS, [make_row(card, lot_id) for lot_id, card in lots])
                receipt.queue(pipe, [
                    (lot_id, card["product"], card["iccid"], card["expiration_date"]) for lot_id, card in lots
                ])
                if progress:
                    progress(written)
        self.invalidate_model()
        return receipt.validate()

    @api.model
    def _haoka_cards_outside(self, products):
        """Whether SIM cards exist whose company is not the company of one of ``products`` (plans, no
        company being one): the database's unique ICCID and number indexes are per company."""
        keys = {product.company_id.id or 0 for product in products}
        self.env.flush_all()
        # the companies of the lots, found by skipping through the company index: a handful of companies
        # for a million cards, which a scan for a card of another company would read one by one (0.3 s)
        self.env.cr.execute(
            """
            WITH RECURSIVE company(id) AS (
                (SELECT company_id FROM stock_lot WHERE company_id IS NOT NULL ORDER BY company_id LIMIT 1)
                UNION ALL
                SELECT (SELECT lot.company_id FROM stock_lot lot WHERE lot.company_id > company.id
                         ORDER BY lot.company_id LIMIT 1)
                  FROM company WHERE company.id IS NOT NULL
            )
            SELECT id FROM company WHERE id IS NOT NULL
            """
        )
        others = [company_id for company_id, in self.env.cr.fetchall() if company_id not in keys]
        self.env.cr.execute(
            """SELECT 1 FROM stock_lot WHERE is_sim_card AND (company_id = ANY(%s) OR (%s AND company_id IS NULL))
                LIMIT 1""",
            (others, 0 not in keys),
        )
        return bool(self.env.cr.fetchone())

    @api.model
    def _haoka_bulk_receive(self, lot_ids_by_product, location, origin):
        """One validated receipt per plan for cards not yet in stock, with a move line per card: quants,
        move lines, valuation layers and product quantities as a receipt validated in the UI."""
        self.env.flush_all()
        all_ids = [lot_id for lot_ids in lot_ids_by_product.values() for lot_id in lot_ids]
        self.env.cr.execute("SELECT count(*) FROM stock_quant WHERE lot_id = ANY(%s)", (all_ids,))
        if self.env.cr.fetchone()[0]:
            raise UserError(self.env._("Only cards that are not in stock yet can be received."))
        receipt = _BulkReceipt(self.env, {p: len(ids) for p, ids in lot_ids_by_product.items()}, location, origin)
        self.env.cr.execute("SELECT id, name, expiration_date FROM stock_lot WHERE id = ANY(%s)", (all_ids,))
        lots = {lot_id: (name, expiry) for lot_id, name, expiry in self.env.cr.fetchall()}
        with pgcopy.Pipeline(self.env.cr) as pipe:
            receipt.start(pipe)
            receipt.queue(pipe, [
                (lot_id, product, *lots[lot_id])
                for product, lot_ids in lot_ids_by_product.items() for lot_id in lot_ids
            ])
        self.env["stock.move.line"]._haoka_set_lot_location(all_ids, location)
        return receipt.validate()

    @api.model
    def _haoka_lot_row_maker(self, products, location):
        """A function ``(card, lot id) -> the stock_lot row`` (in the order of ``BULK_LOT_COLUMNS``).

        Everything read from the database (plans, carriers, grade rules, the language, the encryption key)
        is read here: the rows are produced while the connection is busy writing the previous ones."""
        now = fields.Datetime.now()
        uid = self.env.uid
        segments_cache = {}
        product_info = {}
        for product in products:
            template = product.product_tmpl_id
            carrier = template.haoka_carrier_id
            product_info[product] = (
                product.id,
                carrier,
                product.uom_id.id,
                product.company_id.id or None,
                self.env["haoka.number.grade"]._classifier_rules(carrier, product.company_id or None),
                timedelta(days=template.use_time),
                timedelta(days=template.removal_time),
                timedelta(days=template.alert_time),
            )
            self._haoka_card_warnings(None, None, carrier, segments_cache)  # caches the carrier's rules
        self.env.lang  # noqa: B018 - resolved here, before any COPY starts
        encrypt, search_hash = secrets.encryptor()
        location_id = location.id
        card_warnings = self._haoka_card_warnings

        def make_row(card, lot_id):
            product_id, carrier, uom_id, company_id, rules, use_delta, removal_delta, alert_delta = product_info[
                card["product"]
            ]
            iccid_warning, msisdn_warning, message = card_warnings(
                card["iccid"], card["msisdn"], carrier, segments_cache
            )
            match = grade.classify(card["msisdn"], rules) if card["msisdn"] else None
            expiry = card["expiration_date"]
            return (
                lot_id, card["iccid"], product_id, uom_id, company_id, location_id,
                card["msisdn"] or None,
                encrypt(card["puk"]) or None, search_hash(card["puk"]) or None, encrypt(card["pin"]) or None,
                carrier.id or None, iccid_warning, msisdn_warning, message or None,
                match.key if match else None, match.label if match else None,
                expiry,
                expiry and expiry - use_delta,
                expiry and expiry - removal_delta,
                expiry and expiry - alert_delta,
                uid, now, uid, now,
                True, "available", True,
            )

        return make_row

    def _haoka_bulk_transfer(self, destination, note=False):
        """Move these cards (in stock, unreserved) to ``destination`` with one validated internal
        transfer per source location, a move line per card."""
        self.env.flush_all()
        self.env.cr.execute(
            """SELECT l.id, q.location_id FROM stock_lot l
                 JOIN stock_quant q ON q.lot_id = l.id AND q.quantity = 1 AND q.reserved_quantity = 0
                 JOIN stock_location loc ON loc.id = q.location_id AND loc.usage = 'internal'
                WHERE l.id = ANY(%s) AND l.is_sim_card AND l.card_state = 'available'""",
            (self.ids,),
        )
        located = dict(self.env.cr.fetchall())
        missing = self - self.browse(list(located))
        if missing:
            raise UserError(self.env._(
                "%(count)s card(s) cannot be transferred: they are not available in stock (e.g. %(cards)s).",
                count=len(missing), cards=", ".join(missing[:5].mapped("name")),
            ))
        by_source = defaultdict(lambda: defaultdict(list))
        for lot in self:
            by_source[located[lot.id]][lot.product_id].append(lot.id)
        pickings = self.env["stock.picking"]
        for source_id, lots_by_product in by_source.items():
            source = self.env["stock.location"].browse(source_id)
            if source == destination:
                continue
            warehouse = source.warehouse_id or destination.warehouse_id
            picking = self._haoka_create_picking(
                warehouse.int_type_id, source, destination, {p: len(ids) for p, ids in lots_by_product.items()},
                note or self.env._("SIM card transfer"),
            )
            self._haoka_confirm_bulk(picking)
            lines = self.env["stock.move.line"]
            for move in picking.move_ids:
                lines |= self._haoka_insert_move_lines(picking, move, lots_by_product[move.product_id])
            self._haoka_validate_bulk(picking, lines, "haoka_bulk_transfer")
            pickings |= picking
        return pickings

    @api.model
    def _haoka_create_picking(self, picking_type, source, destination, counts_by_product, origin, company=None):
        """A draft picking from ``source`` to ``destination`` with one move per plan of ``counts_by_product``."""
        company_vals = {"company_id": company.id} if company else {}
        return self.env["stock.picking"].create({
            "picking_type_id": picking_type.id,
            "location_id": source.id,
            "location_dest_id": destination.id,
            "origin": origin,
            **company_vals,
            "move_ids": [fields.Command.create({
                "name": product.display_name,
                "product_id": product.id,
                "product_uom": product.uom_id.id,
                "product_uom_qty": count,
                "location_id": source.id,
                "location_dest_id": destination.id,
                "picking_type_id": picking_type.id,
                **company_vals,
            }) for product, count in counts_by_product.items()],
        })

    @api.model
    def _haoka_confirm_bulk(self, picking):
        """Confirm a bulk picking with its moves' quantities already set (picked), so that nothing is
        reserved automatically; its move lines are written after this, so that confirming does not
        recompute them one by one."""
        for move in picking.move_ids:
            self._haoka_set_move_quantity(move, move.product_uom_qty)
        picking.action_confirm()

    @api.model
    def _haoka_validate_bulk(self, picking, lines, bulk_mode):
        """Validate a bulk picking whose move lines (``lines``) are written, through Odoo's
        ``button_validate``. ``bulk_mode`` is the context key of the move-line path:
        ``haoka_bulk_receipt`` or ``haoka_bulk_transfer``; its value lists the picking's moves."""
        if bulk_mode == "haoka_bulk_receipt":
            message = self.env._("The receipt %(picking)s of the new cards could not be validated.",
                                 picking=picking.name)
        else:
            message = self.env._("The transfer %(picking)s could not be validated.", picking=picking.name)
        self.env.cr.cache[BULK_LINE_GROUPS] = {}
        try:
            picking._haoka_validate(message, skip_sanity_check=True, **{bulk_mode: tuple(picking.move_ids.ids)})
        finally:
            self.env.cr.cache.pop(BULK_LINE_GROUPS, None)
        self._haoka_skip_line_recomputes(lines)

    @api.model
    def _haoka_skip_line_recomputes(self, lines):
        """Validating marks every line's state, picked flag and expiry for recomputation (they follow the
        move's state and the picking's date). The lines were written with the values these computations
        give (done, picked, the card's expiry), so the per-line recomputation is skipped."""
        MoveLine = self.env["stock.move.line"]
        for name in ("state", "picked", "expiration_date"):
            self.env.remove_to_compute(MoveLine._fields[name], lines)

    @api.model
    def _haoka_set_move_quantity(self, move, quantity):
        """The move's stored quantity and picked flag, as the ORM computes them from the lines to come."""
        self.env.flush_all()
        self.env.cr.execute("UPDATE stock_move SET quantity = %s, picked = true WHERE id = %s",
                            (float(quantity), move.id))
        move.invalidate_recordset(["quantity", "picked"])

    @api.model
    def _haoka_move_line_values(self, move, now):
        """The values every move line of a bulk ``move`` shares, in the state validation gives it."""
        picking = move.picking_id
        return {
            "picking_id": picking.id, "move_id": move.id, "company_id": move.company_id.id,
            "product_id": move.product_id.id, "product_uom_id": move.product_uom.id,
            "location_id": move.location_id.id, "location_dest_id": move.location_dest_id.id,
            "reference": picking.name, "date": now, "create_uid": self.env.uid, "create_date": now,
            "write_uid": self.env.uid, "write_date": now, "quantity": 1.0, "quantity_product_uom": 1.0,
            "picked": True,
            # the state the lines reach when the move is done (a related field): written once here
            "state": "done",
        }

    @api.model
    def _haoka_move_line_rows(self, common, lines):
        """``(columns, rows)`` of bulk move lines: ``lines`` are ``(line id, lot id, lot name, expiry)``,
        ``common`` the values they share (:meth:`_haoka_move_line_values`)."""
        values = tuple(common.values())
        return ["id", "lot_id", "lot_name", "expiration_date", *common], [(*line, *values) for line in lines]

    @api.model
    def _haoka_cache_move_lines(self, move, common, lines):
        """Put the values written for bulk move lines ``lines`` (``(line id, lot id, lot name, expiry)``)
        in the ORM cache, so that validating the move recomputes nothing into a write per line (the ORM
        writes only values that change). Returns the lines."""
        MoveLine = self.env["stock.move.line"]
        records = MoveLine.browse([line[0] for line in lines])
        cache = self.env.cache
        for name, value in common.items():
            cache.update(records, MoveLine._fields[name], itertools.repeat(value))
        for name, index in (("lot_id", 1), ("lot_name", 2), ("expiration_date", 3)):
            cache.update(records, MoveLine._fields[name], [line[index] for line in lines])
        for name in ("owner_id", "package_id", "result_package_id"):
            cache.update(records, MoveLine._fields[name], itertools.repeat(None))
        return records

    @api.model
    def _haoka_insert_move_lines(self, picking, move, lot_ids):
        """A move line per card with one COPY, already in the state validation gives it (and in the ORM
        cache, see :meth:`_haoka_cache_move_lines`). Called right before the validation."""
        self.env.flush_all()
        self.env.cr.execute(
            "SELECT id, name, expiration_date FROM stock_lot WHERE id = ANY(%s) ORDER BY name", (list(lot_ids),)
        )
        lots = self.env.cr.fetchall()
        ids = pgcopy.next_ids(self.env.cr, "stock_move_line", len(lots))
        common = self._haoka_move_line_values(move, fields.Datetime.now())
        lines = [(line_id, *lot) for line_id, lot in zip(ids, lots, strict=True)]
        pgcopy.copy_rows_streamed(self.env.cr, "stock_move_line", *self._haoka_move_line_rows(common, lines),
                                  chunk_size=5000)
        self.env["stock.move.line"].invalidate_model()
        move.invalidate_recordset()
        picking.invalidate_recordset()
        return self._haoka_cache_move_lines(move, common, lines)

    # ------------------------------------------------------------------ validation

    @api.constrains("name", "msisdn", "product_id")
    def _check_sim_card_data(self):
        for lot in self.filtered("is_sim_card"):
            if not sim.iccid_format_ok(lot.name):
                raise ValidationError(
                    self.env._(
                        "ICCID '%(iccid)s' is not valid: it must start with 89 and have 19 to 22 digits or "
                        "letters A-F.",
                        iccid=lot.name,
                    )
                )
            policy = lot.haoka_carrier_id.iccid_check_policy or "warn"
            if policy == "strict" and sim.iccid_luhn_status(lot.name) == "failed":
                raise ValidationError(
                    self.env._(
                        "ICCID '%(iccid)s' fails its check digit (Luhn); carrier %(carrier)s rejects such cards.",
                        iccid=lot.name,
                        carrier=lot.haoka_carrier_id.name,
                    )
                )
            if lot.msisdn and not sim.msisdn_format_ok(lot.msisdn):
                raise ValidationError(
                    self.env._(
                        "Phone number '%(number)s' of card %(iccid)s is not valid: a mobile number has 11 "
                        "digits and starts with 13 to 19.",
                        number=lot.msisdn,
                        iccid=lot.name,
                    )
                )
        self._check_sim_card_unique()

    @api.model
    def _haoka_precheck_unique(self, vals_list):
        """Name the duplicate ICCID or number before the database's unique index rejects the batch.
        One query per field for the whole batch."""
        for field_name, label in (("name", self.env._("ICCID")), ("msisdn", self.env._("Phone number"))):
            seen = {}
            for index, vals in enumerate(vals_list, start=1):
                value = vals.get(field_name)
                if not value:
                    continue
                if value in seen:
                    raise ValidationError(
                        self.env._(
                            "%(label)s %(value)s appears twice in the new cards (card %(first)s and %(second)s).",
                            label=label, value=value, first=seen[value], second=index,
                        )
                    )
                seen[value] = index
            if seen:
                companies = {
                    vals.get("company_id") or self.env["product.product"].browse(vals["product_id"]).company_id.id
                    for vals in vals_list
                }
                existing = self.sudo().search(
                    [("is_sim_card", "=", True), (field_name, "in", list(seen)), ("company_id", "in", list(companies))],
                    limit=1,
                )
                if existing:
                    raise ValidationError(
                        self.env._(
                            "%(label)s %(value)s is already used by card %(card)s (%(plan)s).",
                            label=label, value=existing[field_name], card=existing.name,
                            plan=existing.product_id.display_name,
                        )
                    )

    def _check_sim_card_unique(self):
        """Readable duplicate errors before the database's unique indexes fire (one query per batch)."""
        sims = self.filtered("is_sim_card")
        if not sims:
            return
        for field_name, label in (("name", self.env._("ICCID")), ("msisdn", self.env._("Phone number"))):
            values = [value for value in sims.mapped(field_name) if value]
            if not values:
                continue
            groups = self.sudo()._read_group(
                [
                    ("is_sim_card", "=", True),
                    (field_name, "in", values),
                    ("company_id", "in", sims.company_id.ids + [False]),
                ],
                [field_name, "company_id"],
                ["id:array_agg"],
            )
            for value, _company, ids in groups:
                if len(ids) > 1:
                    others = self.sudo().browse(sorted(ids))
                    raise ValidationError(
                        self.env._(
                            "%(label)s %(value)s is already used by another card: %(cards)s.",
                            label=label,
                            value=value,
                            cards=", ".join("%s (%s)" % (o.name, o.product_id.display_name) for o in others),
                        )
                    )

    @api.depends("name", "msisdn", "haoka_carrier_id", "haoka_carrier_id.iccid_check_policy",
                 "haoka_carrier_id.iccid_prefixes", "haoka_carrier_id.number_segments")
    def _compute_warnings(self):
        segments_cache = {}
        for lot in self:
            if lot.is_sim_card:
                flags = self._haoka_card_warnings(lot.name, lot.msisdn, lot.haoka_carrier_id, segments_cache)
            else:
                flags = (False, False, False)
            lot.iccid_warning, lot.msisdn_warning, lot.haoka_warning = flags

    @api.model
    def _haoka_card_warnings(self, iccid, msisdn, carrier, carrier_cache):
        """``(iccid_warning, msisdn_warning, message)`` of a card; shared by the ORM compute and the
        bulk import so both store the same flags. ``carrier_cache`` keeps each carrier's parsed
        prefixes and segments across calls."""
        info = carrier_cache.get(carrier)
        if info is None:
            info = carrier_cache[carrier] = (
                carrier.iccid_check_policy,
                tuple(sim.parse_prefixes(carrier.iccid_prefixes)),
                carrier._segment_set() if carrier.number_segments else None,
                carrier.name,
            )
        policy, prefixes, segments, name = info
        messages = []
        iccid_warning = msisdn_warning = False
        if iccid:
            if policy != "off" and sim.iccid_luhn_status(iccid) == "failed":
                iccid_warning = True
                messages.append(self.env._("ICCID check digit (Luhn) does not match"))
            if prefixes and not iccid.startswith(prefixes):
                iccid_warning = True
                messages.append(self.env._("ICCID prefix is not one of %(carrier)s's", carrier=name))
        if msisdn and segments is not None and msisdn[:3] not in segments:
            msisdn_warning = True
            messages.append(
                self.env._("Number segment %(segment)s is not one of %(carrier)s's", segment=msisdn[:3], carrier=name)
            )
        return iccid_warning, msisdn_warning, "; ".join(messages) or False

    # ------------------------------------------------------------------ number grade

    @api.depends("msisdn", "haoka_carrier_id")
    def _compute_grade(self):
        rules_cache = {}
        for lot in self:
            match = None
            if lot.is_sim_card and lot.msisdn:
                key = (lot.haoka_carrier_id.id, lot.company_id.id)
                if key not in rules_cache:
                    rules_cache[key] = self.env["haoka.number.grade"]._classifier_rules(
                        lot.haoka_carrier_id, lot.company_id or None
                    )
                match = grade.classify(lot.msisdn, rules_cache[key])
            lot.grade_id = match.key if match else False
            lot.grade_pattern = match.label if match else False

    @api.model
    def _haoka_recompute_grades(self, batch_size=20000):
        """Re-classify every SIM card against the current grade rules, in batches (one SELECT and
        one UPDATE per batch)."""
        self.env.flush_all()
        Grade = self.env["haoka.number.grade"]
        rules_cache = {}
        last_id = 0
        cr = self.env.cr
        while True:
            cr.execute(
                """SELECT l.id, l.msisdn, l.haoka_carrier_id, l.company_id, l.grade_id, l.grade_pattern
                     FROM stock_lot l
                    WHERE l.is_sim_card AND l.id > %s
                 ORDER BY l.id LIMIT %s""",
                (last_id, batch_size),
            )
            rows = cr.fetchall()
            if not rows:
                break
            last_id = rows[-1][0]
            updates = []
            for lot_id, msisdn, carrier_id, company_id, old_grade, old_pattern in rows:
                key = (carrier_id, company_id)
                if key not in rules_cache:
                    rules_cache[key] = Grade._classifier_rules(
                        self.env["haoka.carrier"].browse(carrier_id),
                        self.env["res.company"].browse(company_id) if company_id else None,
                    )
                match = grade.classify(msisdn, rules_cache[key]) if msisdn else None
                new_grade, new_pattern = (match.key, match.label) if match else (None, None)
                if (new_grade, new_pattern) != (old_grade, old_pattern):
                    updates.append((lot_id, new_grade, new_pattern))
            if updates:
                execute_values(
                    cr._obj,
                    """UPDATE stock_lot AS l SET grade_id = v.grade_id, grade_pattern = v.grade_pattern
                         FROM (VALUES %s) AS v(id, grade_id, grade_pattern) WHERE l.id = v.id""",
                    updates,
                    template="(%s, %s::int, %s::varchar)",
                    page_size=5000,
                )
        self.env.invalidate_all()

    # ------------------------------------------------------------------ secrets

    # the masks are fixed texts: listing cards never decrypts their codes
    _haoka_secrets = {
        "puk": Secret(cipher="puk_cipher", hash="puk_hash", normalize=sim.normalize_code, valid=PUK_RE.match,
                      label=_lt("PUK (8 digits)"), invalid=_lt("%(label)s of card %(name)s is not valid."),
                      mask="********"),
        "pin": Secret(cipher="pin_cipher", normalize=sim.normalize_code, valid=PIN_RE.match,
                      label=_lt("PIN (4 to 8 digits)"), invalid=_lt("%(label)s of card %(name)s is not valid."),
                      mask="****"),
    }

    def _inverse_puk(self):
        self._haoka_write_secret("puk")

    def _inverse_pin(self):
        self._haoka_write_secret("pin")

    def _search_puk(self, operator, value):
        return self._haoka_search_secret("puk", operator, value)

    # ------------------------------------------------------------------ search helpers

    @api.model
    def _search_display_name(self, operator, value):
        """Quick search (the card list's first field, the card pickers): digits search the phone numbers
        (any part of them: a tail, a substring; the trigram index of msisdn), not the ICCIDs, unless the input
        looks like an ICCID (89… of 12 characters or more, or with hex letters such as the F pad): then the
        ICCIDs starting with it (the unique ICCID b-tree). Lots of other products are still found by their
        name (through their products' index)."""
        kind = None
        if operator in ("ilike", "like", "=ilike", "=like", "=") and isinstance(value, str):
            kind = sim.quick_search_kind(value)
        if kind == "iccid":  # the start of an ICCID (a whole one, scanned or pasted): the ICCID b-tree
            domain = [("name", "=like", sim.normalize_iccid(value).replace("%", "").replace("_", "") + "%")]
        elif kind == "number":
            domain = [("msisdn", "ilike", sim.normalize_msisdn(value))]
        else:
            return super()._search_display_name(operator, value)
        others = self._haoka_other_tracked_products()
        if others:
            domain = ["|", *domain, "&", ("product_id", "in", others), ("name", operator, value)]
        return domain
        return super()._search_display_name(operator, value)

    @api.model
    def _haoka_other_tracked_products(self):
        """Ids of the products tracked by lot or serial that are not SIM plans (their lots are searched by
        name through their product's index, never the million cards' names)."""
        return list(self.env["product.product"].sudo().with_context(active_test=False)._search(
            [("is_sim_card", "=", False), ("tracking", "!=", "none")]
        ).get_result_ids())

    def _compute_msisdn_tail(self):
        for lot in self:
            lot.msisdn_tail = lot.msisdn[-4:] if lot.msisdn else False

    def _search_msisdn_tail(self, operator, value):
        if operator not in ("=", "ilike", "like") or not value:
            raise UserError(self.env._("Search the number tail with the digits the number ends with."))
        digits = sim.normalize_code(value)
        return [("msisdn", "=like", "%" + digits.replace("%", "").replace("_", ""))]

    @api.model
    def _haoka_expiry_warning_days(self):
        return params.int_param(self.env, "haoka_distribution.expiry_warning_days", 30)

    def _compute_expiring_soon(self):
        limit = fields.Datetime.now() + timedelta(days=self._haoka_expiry_warning_days())
        now = fields.Datetime.now()
        for lot in self:
            lot.expiring_soon = bool(
                lot.is_sim_card and lot.expiration_date and now <= lot.expiration_date <= limit
            )

    def _search_expiring_soon(self, operator, value):
        if operator not in ("=", "!=") or not isinstance(value, bool):
            raise UserError(self.env._("Unsupported search on 'expiring soon'."))
        now = fields.Datetime.now()
        limit = now + timedelta(days=self._haoka_expiry_warning_days())
        domain = [("is_sim_card", "=", True), ("expiration_date", ">=", now), ("expiration_date", "<=", limit)]
        if (operator == "=") != value:
            return ["!", "&", "&"] + domain
        return domain

    # ------------------------------------------------------------------ actions

    def action_void(self):
        cards = self.filtered(lambda lot: lot.is_sim_card and lot.card_state in ("available", "expired", "returned"))
        if cards != self.filtered("is_sim_card"):
            raise UserError(self.env._("Only cards in stock, expired or returned can be voided."))
        cards.card_state = "void"
        return True

    def action_haoka_export_xlsx(self):
        """号卡导出: the selected cards as an .xlsx; PUK/PIN columns only for SIM managers."""
        cards = self.filtered("is_sim_card")
        if not cards:
            raise UserError(self.env._("Select the SIM cards to export."))
        cards.check_access("read")
        with_secrets = self.env.user.has_group(MANAGER_GROUP)
        if with_secrets:
            for card in cards[:1]:
                card.message_post(body=self.env._(
                    "%(user)s exported %(count)s card(s) with their PUK/PIN.", user=self.env.user.name,
                    count=len(cards),
                ))
        # the workbook is built when downloaded, never stored (see haoka.card.export)
        export = self.env["haoka.card.export"].create({"lot_ids_text": ",".join(map(str, cards.ids))})
        return {"type": "ir.actions.act_url", "url": export._haoka_download_url(), "target": "self"}

    # ------------------------------------------------------------------ scheduled actions

    @api.model
    def _cron_haoka_card_expiry(self):
        """Daily: cards past expiry leave the sale (已过期); cards expiring soon raise one activity per
        plan for the SIM managers (kept up to date, not repeated)."""
        if texts.lacks_lang(self):
            return texts.in_readers_lang(self)._cron_haoka_card_expiry()
        now = fields.Datetime.now()
        expired = self.search(
            [("is_sim_card", "=", True), ("card_state", "in", SELLABLE_STATES), ("expiration_date", "<", now)]
        )
        expired.write({"card_state": "expired"})
        self._haoka_schedule_expiry_activities()
        return len(expired)

    @api.model
    def _haoka_schedule_expiry_activities(self):
        days = self._haoka_expiry_warning_days()
        groups = self._read_group(
            [("expiring_soon", "=", True), ("card_state", "in", SELLABLE_STATES)],
            ["product_id"],
            ["__count", "expiration_date:min"],
        )
        if not groups:
            return
        activity_type = self.env.ref("haoka_distribution.mail_activity_type_card_expiry")
        responsible = self._haoka_expiry_responsible()
        _ = texts.in_readers_lang(self, responsible).env._  # the summary and note in the assignee's language
        per_template = defaultdict(lambda: [0, None])
        for product, count, first_expiry in groups:
            entry = per_template[product.product_tmpl_id]
            entry[0] += count
            entry[1] = min(entry[1], first_expiry) if entry[1] else first_expiry
        for template, (count, first_expiry) in per_template.items():
            note = _(
                "%(count)s card(s) of plan %(plan)s expire within %(days)s days (first on %(date)s).",
                count=count, plan=template.display_name, days=days, date=fields.Date.to_string(first_expiry),
            )
            activity = self.env["mail.activity"].search(
                [
                    ("res_model", "=", "product.template"),
                    ("res_id", "=", template.id),
                    ("activity_type_id", "=", activity_type.id),
                ],
                limit=1,
            )
            if activity:
                activity.write({"note": note})
            else:
                template.activity_schedule(
                    activity_type_id=activity_type.id,
                    summary=_("Cards expiring soon"),
                    note=note,
                    user_id=responsible.id,
                    date_deadline=fields.Date.to_date(first_expiry),
                )

    @api.model
    def _haoka_expiry_responsible(self):
        managers = self.env.ref(MANAGER_GROUP).users.filtered(lambda u: u.active and not u.share and u.id != 1)
        return managers.sorted("id")[:1] or self.env.ref("base.user_admin")

    # ------------------------------------------------------------------ demo data

    @api.model
    def _haoka_create_demo_cards(self, template_ids, count):
        """Demo cards: deterministic ICCIDs (with check digit) and numbers, some premium tails, a few
        ICCIDs with a wrong check digit, cards expiring soon, expired and void cards; then cards in stock
        and far from expiry for every active number grade (so each grade can be searched and sold)."""
        if texts.lacks_lang(self):  # installing: stored texts in the language of the company's users
            return texts.in_readers_lang(self)._haoka_create_demo_cards(template_ids, count)
        import random

        rng = random.Random(20261127)
        templates = self.env["product.template"].browse(template_ids)
        tails = ["8888", "1234", "6789", "1122", "1212", "1314", "0168", "5520", "4321", "9999",
                 "6666", "1221", "7778", "2345", "3888", "0000", "5678", "9876", "3535", "0518"]
        now = fields.Datetime.now()
        vals_list = []
        used_numbers = set()
        for index in range(count):
            template = templates[index % len(templates)]
            carrier = template.haoka_carrier_id
            segment = rng.choice(sorted(carrier._segment_set()))
            while True:
                tail = tails[index % len(tails)] if index % 3 == 0 else ""
                middle = "".join(rng.choice("0123456789") for _ in range(8 - len(tail)))
                number = segment + middle + tail
                if number not in used_numbers:
                    used_numbers.add(number)
                    break
            expiry = now + timedelta(days=rng.randint(200, 900))
            if index % 25 == 3:
                expiry = now + timedelta(days=rng.randint(3, 25))
            vals_list.append(self._haoka_demo_card_vals(rng, template, number, expiry, wrong_digit=index % 50 == 7))
        cards = self.with_context(mail_create_nolog=True, tracking_disable=True).create(vals_list)
        graded = self._haoka_create_demo_graded_cards(rng, templates, used_numbers)
        (cards | graded)._haoka_receive_in_stock()
        # expired and void cards are plain numbers (index % 3 == 2): the premium tails stay on sale
        cards.browse([card.id for index, card in enumerate(cards) if index % 30 == 5]).write(
            {"expiration_date": now - timedelta(days=10)})
        self._cron_haoka_card_expiry()
        cards.browse([card.id for index, card in enumerate(cards) if index % 45 == 11]).filtered(
            lambda card: card.card_state == "available").action_void()
        return True

    @api.model
    def _haoka_demo_card_vals(self, rng, template, number, expiry, wrong_digit=False):
        prefix = sim.parse_prefixes(template.haoka_carrier_id.iccid_prefixes)[0]
        body = prefix + "".join(rng.choice("0123456789") for _ in range(19 - len(prefix)))
        digit = sim.luhn_check_digit(body)
        if wrong_digit:  # a carrier file with a wrong check digit: accepted and flagged
            digit = str((int(digit) + 1) % 10)
        return {
            "name": body + digit,
            "product_id": template.product_variant_id.id,
            "msisdn": number,
            "puk": "%08d" % rng.randint(0, 99999999),
            "pin": "1234",
            "expiration_date": expiry,
        }

    @api.model
    def _haoka_create_demo_graded_cards(self, rng, templates, used_numbers, per_grade=2):
        """``per_grade`` cards of each active number grade, on the plans in turn, expiring in 1–2.5 years."""
        vals_list = []
        index = 0
        for rule in self.env["haoka.number.grade"].search([]):
            for _copy in range(per_grade):
                template = templates[index % len(templates)]
                index += 1
                number = self._haoka_demo_number_of_grade(rng, rule, template.haoka_carrier_id, used_numbers)
                if number:
                    used_numbers.add(number)
                    expiry = fields.Datetime.now() + timedelta(days=rng.randint(400, 900))
                    vals_list.append(self._haoka_demo_card_vals(rng, template, number, expiry))
        return self.with_context(mail_create_nolog=True, tracking_disable=True).create(vals_list)

    @api.model
    def _haoka_demo_number_of_grade(self, rng, rule, carrier, used_numbers, attempts=2000):
        """A number of ``carrier`` that the classifier puts in grade ``rule`` (``None`` if none found)."""
        rules = self.env["haoka.number.grade"]._classifier_rules(carrier)
        segments = sorted(carrier._segment_set())
        for _attempt in range(attempts):
            tail = _demo_tail(rng, rule.pattern_kind, rule.min_length, rule.lucky_string)
            digits = "012356789" if rule.pattern_kind == "no_four" else "0123456789"
            number = rng.choice(segments) + "".join(rng.choice(digits) for _ in range(8 - len(tail))) + tail
            match = grade.classify(number, rules)
            if match and match.key == rule.id and number not in used_numbers:
                return number
        return None

    # ------------------------------------------------------------------ carrier events (激活, 首充, 销户)

    def _haoka_record_carrier_event(self, event, date=None, amount=0.0):
        """The carrier reports that these sold cards were activated, topped up for the first time, or
        closed. The cards keep the first report of each kind; their orders and commissions follow."""
        _ = self.env._
        date = fields.Date.to_date(date) or fields.Date.context_today(self)
        if date > fields.Date.context_today(self):
            raise UserError(_("The date %(date)s of the carrier report is in the future.", date=date))
        not_sold = self.filtered(lambda c: not c.is_sim_card or c.card_state not in ("shipped", "delivered",
                                                                                      "activated"))
        if not_sold:
            raise UserError(_(
                "Carrier reports are for SIM cards that have been shipped to a customer: %(cards)s is %(state)s.",
                cards=not_sold[0].display_name,
                state=dict(not_sold[0]._fields["card_state"]._description_selection(self.env)).get(
                    not_sold[0].card_state, _("not a SIM card")),
            ))
        if event == "first_topup" and amount <= 0:
            raise UserError(_("A first top-up needs its amount."))
        cards = self.sudo().with_context(tracking_disable=len(self) > 1)
        if event in ("activation", "first_topup"):
            cards.filtered(lambda c: not c.haoka_activated_date).write({"haoka_activated_date": date})
            cards.filtered(lambda c: c.card_state != "activated").write({"card_state": "activated"})
        if event == "first_topup":
            cards.filtered(lambda c: not c.haoka_first_topup_date).write(
                {"haoka_first_topup_amount": amount, "haoka_first_topup_date": date})
        elif event == "closure":
            early = cards.filtered(lambda c: c.haoka_activated_date and c.haoka_activated_date > date)
            if early:
                raise UserError(_("Card %(card)s cannot be closed on %(date)s, before its activation on %(activated)s.",
                                  card=early[0].display_name, date=date, activated=early[0].haoka_activated_date))
            cards.filtered(lambda c: not c.haoka_closed_date).write({"haoka_closed_date": date})
        sale_lines = self._haoka_sale_lines()
        sale_lines.order_id._haoka_update_activation_state()
        self.env["haoka.commission.line"].sudo().search([
            ("order_line_id", "in", sale_lines.ids), ("state", "in", ("expected", "frozen")),
        ])._evaluate_carrier_triggers()
        return True

    def _haoka_sale_lines(self):
        """The confirmed order lines these cards were sold on."""
        return self.env["sale.order.line"].sudo().search([
            ("haoka_lot_ids", "in", self.ids), ("order_id.state", "=", "sale"),
        ])


def _demo_tail(rng, kind, length, lucky):
    """The last digits of a demo number of pattern ``kind`` (the classifier checks the whole number)."""
    length = max(length or 0, 4 if kind in ("aabb", "abab", "abba", "aaab") else 3)
    a, b = rng.sample("0123456789", 2)
    if kind == "repeat":
        return a * length
    if kind in ("ascending", "descending"):
        start = rng.randint(0, 10 - length)
        run = "".join(str(start + step) for step in range(length))
        return run if kind == "ascending" else run[::-1]
    if kind == "abab":
        return (a + b) * (length // 2) + (a if length % 2 else "")
    if kind == "lucky":
        return lucky or ""
    return {"aabb": a + a + b + b, "abba": a + b + b + a, "aaab": a * 3 + b}.get(kind, "")


class _BulkReceipt:
    """The receipts of cards received in bulk: one confirmed receipt per plan, whose move lines and quants
    are queued chunk by chunk on a :class:`~..tools.pgcopy.Pipeline`, then validated by Odoo.

    Everything the queued statements need from the ORM is read when the receipts are made, so that queuing
    does not use the cursor the pipeline is writing with."""

    def __init__(self, env, counts_by_product, location, origin):
        Lot = env["stock.lot"]
        company = location.company_id or env.company
        warehouse = location.warehouse_id or env["stock.warehouse"].search(
            [("company_id", "=", company.id)], limit=1
        )
        picking_type = warehouse.in_type_id
        source = picking_type.default_location_src_id or env.ref("stock.stock_location_suppliers")
        now = fields.Datetime.now()
        self.env = env
        self.total = sum(counts_by_product.values())
        self.moves, self.common, self.quant_statements, self.lines = {}, {}, {}, {}
        for product, count in counts_by_product.items():
            picking = Lot._haoka_create_picking(picking_type, source, location, {product: count}, origin, company)
            Lot._haoka_confirm_bulk(picking)
            move = picking.move_ids
            self.moves[product] = move
            self.common[move] = Lot._haoka_move_line_values(move, now)
            self.quant_statements[move] = env["stock.move.line"]._haoka_receipt_quants_statement(move, now)
            self.lines[move] = []
        self.line_ids = None
        env.flush_all()

    def start(self, pipe):
        """Start drawing the move lines' ids on ``pipe``."""
        self.line_ids = pipe.ids("stock_move_line", BULK_ID_BLOCK)

    def queue(self, pipe, lots):
        """Queue the move lines and quants of ``lots``: ``(lot id, product, ICCID, expiry)``."""
        by_move = defaultdict(list)
        for line_id, (lot_id, product, name, expiry) in zip(self.line_ids.take(len(lots)), lots, strict=True):
            by_move[self.moves[product]].append((line_id, lot_id, name, expiry))
        for move, lines in by_move.items():
            pipe.copy("stock_move_line", *self.env["stock.lot"]._haoka_move_line_rows(self.common[move], lines))
            pipe.execute(*self.quant_statements[move]([line[1] for line in lines]))
            self.lines[move].extend(lines)

    def validate(self):
        """Validate the receipts (their lines all written); returns the pickings."""
        env = self.env
        Lot = env["stock.lot"]
        for model in ("stock.move.line", "stock.quant", "stock.lot"):
            env[model].invalidate_model()
        pickings = env["stock.picking"]
        for move, lines in self.lines.items():
            picking = move.picking_id
            if len(lines) != move.product_uom_qty:
                raise UserError(env._(
                    "The receipt %(picking)s expects %(expected)s cards but %(count)s were written.",
                    picking=picking.name, expected=int(move.product_uom_qty), count=len(lines),
                ))
            move.invalidate_recordset()
            picking.invalidate_recordset()
            records = Lot._haoka_cache_move_lines(move, self.common[move], lines)
            # the receipt has this one move, whose lines are the writer's (checked when validating): both
            # one2many are known, in their order (by id: the lines have no result package)
            line_ids = tuple(sorted(records.ids))
            env.cache.update(move, move._fields["move_line_ids"], [line_ids])
            env.cache.update(picking, picking._fields["move_line_ids"], [line_ids])
            Lot._haoka_validate_bulk(picking, records, "haoka_bulk_receipt")
            pickings |= picking
        return pickings
