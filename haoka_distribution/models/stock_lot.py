import re
from collections import defaultdict

from odoo import api, fields, models
from odoo.exceptions import UserError, ValidationError
from odoo.tools.translate import LazyTranslate

from ..tools import sim
from ..tools.groups import MANAGER_GROUP
from .haoka_secret_mixin import Secret

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
    # indexed by init(): a hash index, not a b-tree (see there)
    puk_hash = fields.Char(groups=MANAGER_GROUP, copy=False, string="PUK Search Hash")
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
        """What a fresh install needs beyond the fields' own indexes (the indexes of earlier versions are
        replaced on update by ``migrations/18.0.1.0.1``)."""
        super().init()
        # Odoo's own lot uniqueness is per product and company, and Python-only: a SIM card is one physical
        # card with one number, so its ICCID and its number are unique across all plans and all companies
        # (see ``_haoka_precheck_unique``), enforced by the database. The indexes serve exact look-ups
        # (import duplicates, 一证五户).
        self.env.cr.execute(
            """
            CREATE UNIQUE INDEX IF NOT EXISTS stock_lot_haoka_iccid_global_uniq
                ON stock_lot (name) WHERE is_sim_card;
            CREATE UNIQUE INDEX IF NOT EXISTS stock_lot_haoka_msisdn_global_uniq
                ON stock_lot (msisdn) WHERE is_sim_card AND msisdn IS NOT NULL;
            """
        )
        self._haoka_create_puk_hash_index()
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
        if not self.env.cr.fetchone()[0]:
            self.env.cr.execute(
                """CREATE INDEX IF NOT EXISTS stock_lot_haoka_iccid_prefix
                       ON stock_lot (name text_pattern_ops) WHERE is_sim_card"""
            )

    def _haoka_create_puk_hash_index(self):
        """The index of the PUK search: the PUK is searched by its exact value (its keyed hash, 64 hex digits,
        random), which a hash index (4 bytes a card) serves; a b-tree of the hashes was three times larger and
        each card imported wrote into a random page of it (a full-page image in the WAL for most of them after
        a checkpoint)."""
        self.env.cr.execute(
            """CREATE INDEX IF NOT EXISTS stock_lot_haoka_puk_hash
                   ON stock_lot USING hash (puk_hash) WHERE puk_hash IS NOT NULL"""
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
            if sims:
                sim_vals = self._haoka_normalize_vals(vals)
                self._haoka_precheck_unique([sim_vals] * len(sims), exclude_ids=sims.ids)
                if sims != self:
                    super(StockLot, self - sims).write(vals)
                    return super(StockLot, sims).write(sim_vals)
                vals = sim_vals
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
            self.env["haoka.stock.bulk"]._receive(
                {product: product_lots.ids for product, product_lots in lots.grouped("product_id").items()},
                location or warehouse.lot_stock_id,
                self.env._("SIM cards entered by hand"),
            )
        return True

    # ------------------------------------------------------------------ look-ups

    @api.model
    def _haoka_sim_card_ids(self, iccids=(), numbers=()):
        """The ids of the SIM cards (of any company: they are unique across companies) whose ICCID is one of
        ``iccids`` or whose number is one of ``numbers``, read by the cards' unique indexes
        (``haoka_sim_cards_matching``, see :meth:`init`): a search ``name in [...]`` of a whole file may take the
        trigram index instead, slow right after a large import (its pending list)."""
        self.flush_model(["name", "msisdn", "is_sim_card"])
        self.env.cr.execute("SELECT array_agg(id) FROM haoka_sim_cards_matching(%s, %s) AS id",
                            (list(iccids), list(numbers)))
        return self.env.cr.fetchone()[0] or []

    @api.model
    def _haoka_existing_cards(self, iccids, numbers):
        """The cards (of any company) whose ICCID is one of ``iccids`` or whose number is one of ``numbers``: a
        list of ``(ICCID, lot id, number, plan name in English, company id or None)``."""
        self.env.flush_all()
        cr = self.env.cr
        card_ids = self._haoka_sim_card_ids(iccids, numbers)
        cr.execute(
            """SELECT l.name, l.id, l.msisdn, t.name->>'en_US', l.company_id
                 FROM stock_lot l
                 JOIN product_product p ON p.id = l.product_id
                 JOIN product_template t ON t.id = p.product_tmpl_id
                WHERE l.id = ANY(%s)""",
            (card_ids,),
        )
        return cr.fetchall()

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
    def _haoka_precheck_unique(self, vals_list, exclude_ids=()):
        """Name the duplicate ICCID or number before the database's unique index rejects the batch (the
        cards ``exclude_ids`` being written). A card exists once: ICCIDs and numbers are unique across all
        plans and companies (a card of another company is named with its company). One query per field
        for the whole batch."""
        for field_name, label in self._haoka_unique_fields():
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
                existing = self.sudo().search([("is_sim_card", "=", True), (field_name, "in", list(seen)),
                                               ("id", "not in", list(exclude_ids))], limit=1)
                if existing:
                    raise ValidationError(
                        self.env._(
                            "%(label)s %(value)s is already used by card %(card)s: a card exists once, in "
                            "every company.",
                            label=label, value=existing[field_name], card=existing._haoka_card_reference(),
                        )
                    )

    def _haoka_unique_fields(self):
        return (("name", self.env._("ICCID")), ("msisdn", self.env._("Phone number")))

    def _haoka_card_reference(self):
        """The card as an error names it: its ICCID, its plan and, when it has one, its company."""
        self.ensure_one()
        if self.company_id:
            return self.env._(
                "%(iccid)s (%(plan)s, company %(company)s)",
                iccid=self.name, plan=self.product_id.display_name, company=self.company_id.name,
            )
        return "%s (%s)" % (self.name, self.product_id.display_name)

    def _check_sim_card_unique(self):
        """Readable duplicate errors before the database's unique indexes fire (one query per batch)."""
        sims = self.filtered("is_sim_card")
        if not sims:
            return
        for field_name, label in self._haoka_unique_fields():
            values = [value for value in sims.mapped(field_name) if value]
            if not values:
                continue
            groups = self.sudo()._read_group(
                [("is_sim_card", "=", True), (field_name, "in", values)], [field_name], ["id:array_agg"],
            )
            for value, ids in groups:
                if len(ids) > 1:
                    others = self.sudo().browse(sorted(ids))
                    raise ValidationError(
                        self.env._(
                            "%(label)s %(value)s is already used by another card: %(cards)s.",
                            label=label,
                            value=value,
                            cards=", ".join(other._haoka_card_reference() for other in others),
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

    # ------------------------------------------------------------------ actions

    def action_void(self):
        cards = self.filtered(lambda lot: lot.is_sim_card and lot.card_state in ("available", "expired", "returned"))
        if cards != self.filtered("is_sim_card"):
            raise UserError(self.env._("Only cards in stock, expired or returned can be voided."))
        cards.card_state = "void"
        return True

    def _haoka_sim_cards_only(self):
        """The SIM cards among these (existing) lots, in their order, found by one query: ``filtered`` would
        load every field of every lot (an export selects up to 100,000 cards)."""
        self.flush_model(["is_sim_card"])
        self.env.cr.execute("SELECT id FROM stock_lot WHERE id = ANY(%s) AND is_sim_card", (list(self._ids),))
        sim_card_ids = {row[0] for row in self.env.cr.fetchall()}
        return self.browse([lot_id for lot_id in self._ids if lot_id in sim_card_ids])

    def action_haoka_export_xlsx(self):
        """号卡导出: the selected cards as an .xlsx; PUK/PIN columns only for SIM managers."""
        cards = self._haoka_sim_cards_only()
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

