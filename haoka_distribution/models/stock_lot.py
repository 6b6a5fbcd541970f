import re
from collections import defaultdict
from datetime import timedelta

from psycopg2.extras import execute_values

from odoo import api, fields, models
from odoo.exceptions import AccessError, UserError, ValidationError

from ..tools import grade, params, secrets, sim, texts

SECRET_MASK = "********"
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
MANAGER_GROUP = "haoka_distribution.group_haoka_manager"


class StockLot(models.Model):
    """A SIM card (号卡) is a lot of a SIM plan: the ICCID is the lot name.

    Everything here is scoped to lots of SIM plans (``is_sim_card``); other lots behave as in
    standard Odoo.
    """

    _inherit = "stock.lot"
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
        compute="_compute_secret_masks",
        inverse="_inverse_puk",
        search="_search_puk",
        help="8-digit PUK, stored encrypted. Only SIM managers can reveal it.",
    )
    pin = fields.Char(
        string="PIN",
        compute="_compute_secret_masks",
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
            self.env["haoka.stock.bulk"]._receive(
                {product: product_lots.ids for product, product_lots in lots.grouped("product_id").items()},
                location or warehouse.lot_stock_id,
                self.env._("SIM cards entered by hand"),
            )
        return True

    # ------------------------------------------------------------------ look-ups

    @api.model
    def _haoka_existing_cards(self, iccids, numbers):
        """The cards (of any company) whose ICCID is one of ``iccids`` or whose number is one of ``numbers``:
        a list of ``(ICCID, lot id, number, plan name in English)``, read by the database's unique indexes."""
        self.env.flush_all()
        cr = self.env.cr
        cr.execute("SELECT array_agg(id) FROM haoka_sim_cards_matching(%s, %s) AS id", (list(iccids), list(numbers)))
        cr.execute(
            """SELECT l.name, l.id, l.msisdn, t.name->>'en_US'
                 FROM stock_lot l
                 JOIN product_product p ON p.id = l.product_id
                 JOIN product_template t ON t.id = p.product_tmpl_id
                WHERE l.id = ANY(%s)""",
            (cr.fetchone()[0] or [],),
        )
        return cr.fetchall()

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

    def _compute_secret_masks(self):
        for lot in self:
            lot_sudo = lot.sudo()
            lot.puk = SECRET_MASK if lot_sudo.puk_cipher else False
            lot.pin = SECRET_MASK[:4] if lot_sudo.pin_cipher else False

    def _haoka_set_secret(self, field_name, value, pattern, label):
        for lot in self:
            if value in (SECRET_MASK, SECRET_MASK[:4]):
                continue  # the mask came back unchanged
            if value:
                value = sim.normalize_code(value)
                if not pattern.match(value):
                    raise ValidationError(
                        self.env._("%(label)s of card %(iccid)s is not valid.", label=label, iccid=lot.name)
                    )
            vals = {"%s_cipher" % field_name: secrets.encrypt(value) if value else False}
            if field_name == "puk":
                vals["puk_hash"] = secrets.search_hash(value) if value else False
            lot.sudo().write(vals)

    def _inverse_puk(self):
        for lot in self:
            lot._haoka_set_secret("puk", lot.puk, PUK_RE, self.env._("PUK (8 digits)"))

    def _inverse_pin(self):
        for lot in self:
            lot._haoka_set_secret("pin", lot.pin, PIN_RE, self.env._("PIN (4 to 8 digits)"))

    def _haoka_check_secret_access(self):
        if not (self.env.su or self.env.user.has_group(MANAGER_GROUP)):
            raise AccessError(self.env._("Only SIM managers (号卡主管) can see PUK and PIN codes."))

    def _search_puk(self, operator, value):
        self._haoka_check_secret_access()
        if operator != "=" or not value:
            raise UserError(self.env._("Cards can only be searched by their exact PUK."))
        return [("puk_hash", "=", secrets.search_hash(sim.normalize_code(value)))]

    def _haoka_read_secrets(self):
        """Clear PUK/PIN per card id, for managers (and superuser code) only. Does not log."""
        self._haoka_check_secret_access()
        return {
            lot.id: {"puk": secrets.decrypt(lot.sudo().puk_cipher), "pin": secrets.decrypt(lot.sudo().pin_cipher)}
            for lot in self
        }

    def action_reveal_secrets(self):
        """Show PUK/PIN in a notification (never stored in clear) and log the reveal in the chatter."""
        self.ensure_one()
        values = self._haoka_read_secrets()[self.id]
        self.message_post(
            body=self.env._("PUK/PIN revealed by %(user)s.", user=self.env.user.name),
            message_type="comment",
            subtype_xmlid="mail.mt_note",
        )
        return {
            "type": "ir.actions.client",
            "tag": "display_notification",
            "params": {
                "title": self.env._("Card %(iccid)s", iccid=self.name),
                "message": self.env._("PUK: %(puk)s   PIN: %(pin)s",
                                      puk=values["puk"] or "-", pin=values["pin"] or "-"),
                "type": "warning",
                "sticky": True,
            },
        }

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

