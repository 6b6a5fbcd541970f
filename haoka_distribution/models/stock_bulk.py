"""The fast path of SIM cards into and through stock: receipts and transfers of tens of thousands of cards.

A card is a serial (a lot of quantity 1): Odoo receiving 100,000 of them creates 100,000 lots, move lines and
quants one ORM record at a time. This module writes them in bulk and lets Odoo do the rest:

1. **Receipts made and confirmed** (:class:`_BulkReceipt`): one receipt per plan, through the ORM, with its
   move's quantity already set (picked), so that confirming reserves nothing and writes no line.
2. **Chunks written by COPY** (:meth:`HaokaStockBulk._import_cards`, :meth:`~HaokaStockBulk._receive`): for each
   chunk of cards, the lots (``stock_lot``, every stored column as the ORM computes it, see
   :meth:`~HaokaStockBulk._lot_row_maker`), their move lines (already done and picked) and their quants (-1 at
   the supplier, +1 in stock, as ``_synchronize_quant`` makes them) are written by PostgreSQL with COPY and
   ``INSERT ... SELECT`` on a :class:`~..tools.pgcopy.Pipeline`, by a helper thread while the next chunk is
   produced (for more than ``THREADED_FROM`` cards; at once otherwise). The ids are drawn from the tables'
   sequences, exactly as many as there are rows. The foreign keys of an import's rows are checked once per
   referenced row after its last chunk (:func:`~..tools.pgrefs.checked_once`) where the database role may, by
   PostgreSQL's per-row triggers otherwise.
3. **Validation by Odoo** (:meth:`~HaokaStockBulk._validate`): ``button_validate`` of each picking, with the
   context key ``haoka_bulk_receipt`` (or ``haoka_bulk_transfer``) naming its moves. Moves, pickings, valuation
   layers, accounting entries and product quantities are Odoo's own.
4. **What the overrides do under that context**: ``stock.move.line._action_done`` checks the lines (one picked
   SIM card each, the move's product and locations; a receipt's moves are the ones named by the context) and,
   for a transfer, moves each card's quant in one statement (:meth:`~HaokaStockBulk._lines_done`) instead of
   one quant update per serial; ``stock.move._check_quantity`` skips the duplicate-serial search of a receipt
   (its lots are new, each with one quant); ``stock.move._get_in_move_lines`` / ``_get_out_move_lines`` select
   the valued lines per group of lines sharing locations (:meth:`~HaokaStockBulk._valued_lines`, memoised
   for the validation in the cursor's cache under ``BULK_LINE_GROUPS``); the lines' state, picked flag and
   expiry are written final, so their recomputation is skipped. A receipt's validation takes from its writer
   what it wrote (``BULK_WRITTEN``, in the cursor's cache): the lines' order that ``_action_done`` sorts them in
   (:meth:`~HaokaStockBulk._written_lines_sorted`, no search of their ids), the lots of its lines, and the new
   lots it wrote itself are not counted again in ``stock_lot``; one statement per move still checks that the
   move has exactly these lines.

Before any of this, :meth:`~HaokaStockBulk._fast_path_blockers` looks at the installed code: a module outside
``KNOWN_MODULES`` that overrides a method the fast path replaces (``REPLACED_METHODS``) or adds a stored field
to a table it writes (``WRITTEN_MODELS``), or a lot-valuated plan (stock_account's per-lot cost), sends the cards
through Odoo's standard path instead (lots, move lines and quants by the ORM: slower, correct), and the log
says why.

A transfer (:meth:`~HaokaStockBulk._transfer`) is the same minus the lots and quants: a picking per source
location, its move lines written by COPY right before validation, the quants moved in step 4.

One difference is kept on purpose: Odoo logs a "Lot/Serial created" note on each lot it creates; the fast path
logs none on its lots (the receipt's chatter, the same as Odoo's, names the import). Writing the notes by COPY
would add a mail_message row per card (100,000 rows and their indexes: seconds of a 20-second budget) for
notes that say nothing the receipt does not; the equivalence test pins this difference.

The reservation of an order's chosen cards (选号) on its delivery (:meth:`~HaokaStockBulk._reserve_chosen_cards`,
from ``stock.move._action_assign``) reserves the cards' quants with one statement and creates the move lines
through the ORM in one call, with Odoo's own values; what it replaces (``RESERVATION_METHODS``) is checked
against the same allow-list. Shipping the order (:meth:`~HaokaStockBulk._deliver`) validates the delivery
through ``button_validate`` under the context key ``haoka_bulk_delivery``: step 4 checks its lines and moves the
cards' quants to the customer with one statement per source location (:meth:`~HaokaStockBulk._deliver_quants`),
leaving what ``_synchronize_quant`` leaves (the emptied quant, a new one at the customer).
"""

import itertools
import logging
from collections import defaultdict
from datetime import timedelta

from odoo import api, fields, models
from odoo.exceptions import UserError

from ..tools import grade, pgcopy, pgrefs, secrets

_logger = logging.getLogger(__name__)
#: context key of a bulk receipt's validation; its value is the tuple of the receipt's move ids
RECEIPT = "haoka_bulk_receipt"
#: context key of a bulk transfer's validation; its value is the tuple of the transfer's move ids
TRANSFER = "haoka_bulk_transfer"
#: context key of a bulk delivery's validation (an order's cards shipped); its value is the tuple of its move ids
DELIVERY = "haoka_bulk_delivery"
#: key of the line groups kept in the cursor's cache while a bulk picking is validated
BULK_LINE_GROUPS = "haoka_bulk_line_groups"
#: key of what the writer of a bulk receipt wrote, kept in the cursor's cache while the receipt is validated:
#: ``{"line_ids": frozenset, "lots": {move id: [lot ids of its lines]}, "new_lots": bool}``
BULK_WRITTEN = "haoka_bulk_written"
#: Odoo's order of move lines (``stock.move.line._order``): lines with no result package are in the ids' order
MOVE_LINE_ORDER = "result_package_id desc, id"
#: ids drawn from a sequence at a time by a bulk import
BULK_ID_BLOCK = 5000
#: receipts of more cards than this are written by a helper thread (see pgcopy.Pipeline); smaller ones (a card
#: saved from the form, a small file) are written at once, with no thread and no second connection
THREADED_FROM = BULK_ID_BLOCK
#: the methods the fast path replaces (rows written by COPY instead of ``create``) or does not call ``super()`` of
REPLACED_METHODS = {
    "stock.lot": ("create",),
    "stock.move.line": ("create", "_action_done"),
    "stock.quant": ("create", "_update_available_quantity"),
    "stock.move": ("_check_quantity", "_get_in_move_lines", "_get_out_move_lines", "_get_in_svl_vals"),
}
#: the methods a bulk reservation of chosen cards (:meth:`HaokaStockBulk._reserve_chosen_cards`) replaces: the
#: quants are reserved by one statement, the move lines created by the ORM with Odoo's own values
RESERVATION_METHODS = {
    "stock.move": ("_action_assign", "_update_reserved_quantity"),
    "stock.quant": ("_update_reserved_quantity", "_update_available_quantity"),
}
#: context key under which the quants of the given lot ids are already reserved (move lines created after a bulk
#: reservation)
RESERVED_LOTS = "haoka_reserved_lot_ids"
#: the models whose rows the fast path writes itself: every stored field must be one it knows
WRITTEN_MODELS = ("stock.lot", "stock.move.line", "stock.quant")
#: their tables: an import's foreign keys into them are checked once per referenced row (see tools/pgrefs.py)
WRITTEN_TABLES = ("stock_lot", "stock_move_line", "stock_quant")
#: the modules whose overrides of REPLACED_METHODS and stored fields of WRITTEN_MODELS the fast path reproduces
#: (or knows to be idle for SIM cards), as the equivalence tests check; any other takes Odoo's standard path
KNOWN_MODULES = frozenset({
    "stock", "stock_account", "product_expiry", "sale_stock", "mail", "portal", "haoka_distribution",
})
#: the columns of a card written by a bulk import: first those of each card (see HaokaStockBulk._lot_row_maker),
#: then those every card of a plan shares (HaokaStockBulk._lot_row_tails), rendered once per plan
BULK_LOT_COLUMNS = [
    "id", "name", "msisdn", "puk_cipher", "puk_hash", "pin_cipher",
    "iccid_warning", "msisdn_warning", "haoka_warning", "grade_id", "grade_pattern",
    "expiration_date", "use_date", "removal_date", "alert_date",
    "product_id", "product_uom_id", "company_id", "location_id", "haoka_carrier_id",
    "create_uid", "create_date", "write_uid", "write_date",
    "is_sim_card", "card_state", "product_expiry_reminded",
]


#: a delivery's cards leave their source location (see HaokaStockBulk._deliver_quants)
DELIVERED_QUANTS = """
    WITH emptied AS (
        UPDATE stock_quant SET quantity = 0, reserved_quantity = 0,
                               write_uid = %(uid)s, write_date = now() AT TIME ZONE 'UTC'
         WHERE lot_id = ANY(%(lot_ids)s) AND location_id = %(source)s AND quantity = 1 AND reserved_quantity = 1
           AND package_id IS NULL AND owner_id IS NULL
     RETURNING product_id, lot_id, in_date
    )
    INSERT INTO stock_quant (product_id, company_id, location_id, lot_id, quantity, inventory_diff_quantity,
                             inventory_date, in_date, expiration_date, removal_date,
                             create_uid, create_date, write_uid, write_date,
                             reserved_quantity, inventory_quantity, inventory_quantity_set)
    SELECT emptied.product_id, %(company)s, %(destination)s, emptied.lot_id, 1, -1,
           %(inventory_date)s, emptied.in_date, lot.expiration_date, lot.removal_date,
           %(uid)s, now() AT TIME ZONE 'UTC', %(uid)s, now() AT TIME ZONE 'UTC', 0, 0, false
      FROM emptied JOIN stock_lot lot ON lot.id = emptied.lot_id
"""


class HaokaStockBulk(models.AbstractModel):
    _name = "haoka.stock.bulk"
    _description = "Bulk SIM card receipts and transfers"

    # ------------------------------------------------------------------ the context of a validation

    @api.model
    def _bulk_moves(self):
        """The ids of the moves validated in bulk (a receipt's, a transfer's or a delivery's), or None."""
        return self.env.context.get(RECEIPT) or self.env.context.get(TRANSFER) or self.env.context.get(DELIVERY) or None

    @api.model
    def _lines_written_done(self):
        """Whether the bulk moves validated have lines written by COPY in their final state (a receipt's or a
        transfer's; a delivery's lines are the ORM's, reserved at confirmation)."""
        return bool(self.env.context.get(RECEIPT) or self.env.context.get(TRANSFER))

    @api.model
    def _is_receipt(self):
        return bool(self.env.context.get(RECEIPT))

    # ------------------------------------------------------------------ fast or standard path

    @api.model
    def _fast_path_blockers(self, products=(), known=None, replaced=None):
        """Why the fast path would not do what Odoo's standard path does, as a list of reasons (empty: it
        would). ``known``: the modules whose overrides and fields it reproduces (default ``KNOWN_MODULES``);
        ``replaced``: the methods it replaces (default ``REPLACED_METHODS``)."""
        known = KNOWN_MODULES if known is None else known
        reasons = []
        for model, methods in (REPLACED_METHODS if replaced is None else replaced).items():
            for method in methods:
                for module in self._overriding_modules(model, method):
                    if module not in known:
                        reasons.append("%s.%s is overridden by module %s" % (model, method, module))
        for model in WRITTEN_MODELS:
            for name, field in self.env[model]._fields.items():
                for module in sorted(set(field._modules or ()) - known) if field.store else ():
                    reasons.append("%s.%s is a stored field of module %s" % (model, name, module))
        for product in products:
            if product.lot_valuated:
                reasons.append("%s is valuated per lot" % product.display_name)
        return reasons

    @api.model
    def _overriding_modules(self, model, method):
        """The modules defining ``model.method`` (Odoo's own base classes not counted), in the call order."""
        modules = []
        for cls in type(self.env[model]).__mro__:
            module = cls.__dict__.get("_module")
            if method in vars(cls) and module and module not in modules:
                modules.append(module)
        return modules

    @api.model
    def _use_fast_path(self, products=(), replaced=None):
        """Whether bulk work on ``products`` may take the fast path; when not, the log says why."""
        reasons = self._fast_path_blockers(products, replaced=replaced)
        if reasons:
            _logger.info("SIM cards go through Odoo's standard stock path: %s", "; ".join(reasons))
        return not reasons

    @api.model
    def _standard_import(self, card_chunks, counts_by_product, location, origin, progress=None):
        """:meth:`_import_cards` the standard way: lots created by the ORM, then :meth:`_standard_receive`."""
        Lot = self.env["stock.lot"]
        lot_ids_by_product = defaultdict(list)
        total, written = sum(counts_by_product.values()), 0
        for cards in card_chunks:
            written += len(cards)
            if written > total:
                raise UserError(self.env._("More cards than announced for this import."))
            lots = Lot.create([{
                "name": card["iccid"], "product_id": card["product"].id, "msisdn": card["msisdn"] or False,
                "puk": card["puk"] or False, "pin": card["pin"] or False,
                "expiration_date": card["expiration_date"],
                "company_id": self._lot_company(card["product"], location).id or False,
            } for card in cards])
            for card, lot in zip(cards, lots, strict=True):
                lot_ids_by_product[card["product"]].append(lot.id)
            if progress:
                progress(written)
        return self._standard_receive(lot_ids_by_product, location, origin)

    @api.model
    def _standard_receive(self, lot_ids_by_product, location, origin):
        """:meth:`_receive` the standard way: one receipt per plan whose move lines (a card each) are
        created by the ORM, confirmed and validated by Odoo, as a receipt entered in the UI."""
        company = location.company_id or self.env.company
        warehouse = location.warehouse_id or self.env["stock.warehouse"].search(
            [("company_id", "=", company.id)], limit=1
        )
        picking_type = warehouse.in_type_id
        source = picking_type.default_location_src_id or self.env.ref("stock.stock_location_suppliers")
        pickings = self.env["stock.picking"]
        for product, lot_ids in lot_ids_by_product.items():
            picking = self._create_picking(picking_type, source, location, {product: len(lot_ids)}, origin, company)
            self._create_standard_lines(picking.move_ids, lot_ids)
            picking.action_confirm()
            picking._haoka_validate(self.env._("The receipt %(picking)s of the new cards could not be validated.",
                                               picking=picking.name))
            pickings |= picking
        return pickings

    @api.model
    def _create_standard_lines(self, move, lot_ids):
        """A picked move line per card of ``lot_ids`` on ``move``, created by the ORM."""
        return self.env["stock.move.line"].create([{
            "move_id": move.id, "picking_id": move.picking_id.id, "product_id": move.product_id.id,
            "lot_id": lot_id, "quantity": 1, "picked": True, "location_id": move.location_id.id,
            "location_dest_id": move.location_dest_id.id, "product_uom_id": move.product_uom.id,
        } for lot_id in lot_ids])

    # ------------------------------------------------------------------ receipts

    @api.model
    def _import_cards(self, card_chunks, counts_by_product, location, origin, progress=None):
        """Create new cards and receive them into ``location``: one validated receipt per plan, with a move
        line per card, as :meth:`_receive` makes it. Returns the receipts.

        The lots, move lines and quants of each chunk are written by PostgreSQL while the next chunk is
        produced (see :class:`~..tools.pgcopy.Pipeline`); then Odoo validates the receipts. A card whose
        ICCID or number exists already (in any company: a card exists once) breaks the database's unique
        indexes: the error (``psycopg2.IntegrityError``) is raised and nothing is left written once the
        caller rolls back.

        :param card_chunks: iterable of lists of card dicts with ``iccid``, ``product`` (product.product),
            ``msisdn``, ``puk``, ``pin``, ``expiration_date`` (datetime), values already normalised and
            validated; it may produce them lazily (e.g. check the file's rows chunk by chunk) and must not use
            the database.
        :param counts_by_product: ``{product.product: number of cards}``, exactly what the chunks hold.
        :param progress: called with the number of cards written so far, after each chunk.
        """
        if not self._use_fast_path(list(counts_by_product)):
            return self._standard_import(card_chunks, counts_by_product, location, origin, progress)
        receipt = _BulkReceipt(self.env, counts_by_product, location, origin, new_lots=True)
        make_row = self._lot_row_maker(list(counts_by_product))
        tails = self._lot_row_tails(list(counts_by_product), location)
        written = 0
        with pgrefs.checked_once(self.env.cr, WRITTEN_TABLES), \
                pgcopy.Pipeline(self.env.cr, threaded=receipt.total > THREADED_FROM) as pipe:
            lot_ids = pipe.ids("stock_lot", BULK_ID_BLOCK, receipt.total)
            receipt.start(pipe)
            for cards in card_chunks:
                written += len(cards)
                if written > receipt.total:
                    raise UserError(self.env._("More cards than announced for this import."))
                lots = list(zip(lot_ids.take(len(cards)), cards, strict=True))
                self._queue_lots(pipe, lots, make_row, tails)
                receipt.queue(pipe, [
                    (lot_id, card["product"], card["iccid"], card["expiration_date"]) for lot_id, card in lots
                ])
                if progress:
                    progress(written)
        self.env["stock.lot"].invalidate_model()
        return receipt.validate()

    @api.model
    def _queue_lots(self, pipe, lots, make_row, tails):
        """Queue the stock_lot rows of ``lots`` (``(lot id, card)``) on ``pipe``: a COPY per plan, the columns
        its cards share (``tails``, :meth:`_lot_row_tails`) rendered once."""
        rows_by_product = defaultdict(list)
        for lot_id, card in lots:
            rows_by_product[card["product"]].append(make_row(card, lot_id))
        for product, rows in rows_by_product.items():
            pipe.copy("stock_lot", BULK_LOT_COLUMNS, rows, tails[product])

    @api.model
    def _receive(self, lot_ids_by_product, location, origin):
        """One validated receipt per plan for cards not yet in stock, with a move line per card: quants,
        move lines, valuation layers and product quantities as a receipt validated in the UI."""
        self.env.flush_all()
        all_ids = [lot_id for lot_ids in lot_ids_by_product.values() for lot_id in lot_ids]
        self.env.cr.execute("SELECT count(*) FROM stock_quant WHERE lot_id = ANY(%s)", (all_ids,))
        if self.env.cr.fetchone()[0]:
            raise UserError(self.env._("Only cards that are not in stock yet can be received."))
        if not self._use_fast_path(list(lot_ids_by_product)):
            return self._standard_receive(lot_ids_by_product, location, origin)
        receipt = _BulkReceipt(self.env, {p: len(ids) for p, ids in lot_ids_by_product.items()}, location, origin)
        self.env.cr.execute("SELECT id, name, expiration_date FROM stock_lot WHERE id = ANY(%s)", (all_ids,))
        lots = {lot_id: (name, expiry) for lot_id, name, expiry in self.env.cr.fetchall()}
        with pgcopy.Pipeline(self.env.cr, threaded=receipt.total > THREADED_FROM) as pipe:
            receipt.start(pipe)
            receipt.queue(pipe, [
                (lot_id, product, *lots[lot_id])
                for product, lot_ids in lot_ids_by_product.items() for lot_id in lot_ids
            ])
        self._set_lot_location(all_ids, location)
        return receipt.validate()

    @api.model
    def _lot_row_maker(self, products):
        """A function ``(card, lot id) -> the card's own columns of its stock_lot row`` (the first columns of
        ``BULK_LOT_COLUMNS``; :meth:`_lot_row_tails` gives the others), every column as the ORM computes it
        (tested against ``create``).

        Everything read from the database (plans, carriers, grade rules, the language, the encryption key)
        is read here: the rows are produced while the connection is busy writing the previous ones."""
        segments_cache = {}
        plan_facts = {product: self._lot_plan_facts(product, segments_cache) for product in products}
        self.env.lang  # noqa: B018 - resolved here, before any COPY starts
        crypto = secrets.encryptor()  # (encrypt, search_hash)
        card_warnings, lot_row = self.env["stock.lot"]._haoka_card_warnings, self._lot_row

        def make_row(card, lot_id):
            facts = plan_facts[card["product"]]
            warnings = card_warnings(card["iccid"], card["msisdn"], facts["carrier"], segments_cache)
            return lot_row(card, lot_id, facts, warnings, crypto)

        return make_row

    @api.model
    def _lot_row_tails(self, products, location):
        """``{product: the columns every card of the plan received into location shares}``: the last columns
        of ``BULK_LOT_COLUMNS``, after the card's own (:meth:`_lot_row_maker`)."""
        uid, now = self.env.uid, fields.Datetime.now()
        return {
            product: (
                product.id, product.uom_id.id, self._lot_company(product, location).id or None, location.id,
                product.product_tmpl_id.haoka_carrier_id.id or None,
                uid, now, uid, now,
                True, "available", True,
            )
            for product in products
        }

    @api.model
    def _lot_company(self, product, location):
        """The company Odoo gives a lot received into ``location`` (``stock.move.line._prepare_new_lot_vals``):
        the receiving company when it is the plan's company or one of its branches, else the plan's."""
        company, receiving = product.company_id, location.company_id
        if company and receiving in (company.all_child_ids | company):
            return receiving
        return company

    @api.model
    def _lot_plan_facts(self, product, segments_cache):
        """What the own columns of each card of ``product`` are computed from: its carrier, grade classifier, the
        expiry offsets of product_expiry (and the dates of each expiry, as written, once computed). Caches the
        carrier's warning rules in ``segments_cache``."""
        template = product.product_tmpl_id
        carrier = template.haoka_carrier_id
        self.env["stock.lot"]._haoka_card_warnings(None, None, carrier, segments_cache)
        return {
            "carrier": carrier,
            "classify": grade.classifier(
                self.env["haoka.number.grade"]._classifier_rules(carrier, product.company_id or None)),
            "use": timedelta(days=template.use_time), "removal": timedelta(days=template.removal_time),
            "alert": timedelta(days=template.alert_time), "dates": {},
        }

    @staticmethod
    def _lot_row(card, lot_id, facts, warnings, crypto):
        """The card's own columns of its stock_lot row (no ORM, no database): ``facts`` of its plan
        (:meth:`_lot_plan_facts`), its ``(ICCID warning, number warning, message)``, the ``(encrypt,
        search_hash)`` functions."""
        encrypt, search_hash = crypto
        iccid_warning, msisdn_warning, message = warnings
        match = facts["classify"](card["msisdn"])
        expiry = card["expiration_date"]
        dates = facts["dates"].get(expiry)
        if dates is None:  # the cards of a file mostly share their expiry: its dates are written out once
            dates = facts["dates"][expiry] = tuple(
                str(date) if date else None
                for date in (expiry, *(expiry and expiry - facts[offset] for offset in ("use", "removal", "alert")))
            )
        return (
            lot_id, card["iccid"], card["msisdn"] or None,
            encrypt(card["puk"]) or None, search_hash(card["puk"]) or None, encrypt(card["pin"]) or None,
            iccid_warning, msisdn_warning, message or None,
            match.key if match else None, match.label if match else None,
            *dates,
        )

    # ------------------------------------------------------------------ transfers

    @api.model
    def _transfer(self, cards, destination, note=False):
        """Move ``cards`` (lots in stock, unreserved) to ``destination`` with one validated internal
        transfer per source location, a move line per card."""
        by_source = self._transferable_cards_by_source(cards)
        pickings = self.env["stock.picking"]
        fast = self._use_fast_path(cards.product_id)
        for source_id, lots_by_product in by_source.items():
            source = self.env["stock.location"].browse(source_id)
            if source == destination:
                continue
            warehouse = source.warehouse_id or destination.warehouse_id
            picking = self._create_picking(
                warehouse.int_type_id, source, destination, {p: len(ids) for p, ids in lots_by_product.items()},
                note or self.env._("SIM card transfer"),
            )
            if fast:
                self._confirm(picking)
                lines = self.env["stock.move.line"]
                for move in picking.move_ids:
                    lines |= self._insert_move_lines(picking, move, lots_by_product[move.product_id])
                self._validate(picking, lines, TRANSFER)
            else:
                picking.action_confirm()
                for move in picking.move_ids:
                    self._create_standard_lines(move, lots_by_product[move.product_id])
                picking._haoka_validate()
            pickings |= picking
        return pickings

    @api.model
    def _transferable_cards_by_source(self, cards):
        """``{source location id: {product: [lot ids]}}`` of ``cards``; a UserError when one is not available
        in stock (sold, reserved, elsewhere)."""
        self.env.flush_all()
        self.env.cr.execute(
            """SELECT l.id, q.location_id FROM stock_lot l
                 JOIN stock_quant q ON q.lot_id = l.id AND q.quantity = 1 AND q.reserved_quantity = 0
                 JOIN stock_location loc ON loc.id = q.location_id AND loc.usage = 'internal'
                WHERE l.id = ANY(%s) AND l.is_sim_card AND l.card_state = 'available'""",
            (cards.ids,),
        )
        located = dict(self.env.cr.fetchall())
        missing = cards - cards.browse(list(located))
        if missing:
            raise UserError(self.env._(
                "%(count)s card(s) cannot be transferred: they are not available in stock (e.g. %(cards)s).",
                count=len(missing), cards=", ".join(missing[:5].mapped("name")),
            ))
        by_source = defaultdict(lambda: defaultdict(list))
        for lot in cards:
            by_source[located[lot.id]][lot.product_id].append(lot.id)
        return by_source

    # ------------------------------------------------------------------ reservation of chosen cards

    @api.model
    def _reserve_chosen_cards(self, moves):
        """Reserve on each of ``moves`` exactly the cards its sale line chose (选号), as Odoo's ``lot_ids`` on
        the move would, at once: the cards' quants reserved by one statement, the move lines created by the
        ORM in one call with Odoo's own values (``_add_serial_move_line_to_vals_list``), the move assigned.
        Odoo reserves a serial with three quant searches and a quant write per card (then ``lot_ids`` undoes
        that reservation to take the chosen cards). Returns the moves so reserved; the others (no chosen
        cards, cards not all free in the move's location, a chained or picked move, code outside the
        allow-list) are left to Odoo's ``_action_assign``."""
        chosen = self._chosen_cards_by_move(moves)
        reserved = self.env["stock.move"]
        if not chosen or not self._use_fast_path(moves.product_id, replaced=RESERVATION_METHODS):
            return reserved
        for move, lots in chosen.items():
            quant_ids = self._free_quants_of(move, lots)
            if quant_ids is not None:
                self._create_reserved_lines(move, quant_ids)
                reserved |= move
        return reserved

    @api.model
    def _chosen_cards_by_move(self, moves):
        """``{move: chosen lots}`` of the moves a bulk reservation applies to: a sale line's first open move
        out of stock, of SIM cards tracked by serial, nothing reserved yet, for exactly its chosen cards."""
        result = {}
        for move in moves:
            lots = move.sale_line_id.sudo().haoka_lot_ids
            if (
                lots and move.product_id.is_sim_card and move.product_id.tracking == "serial"
                and move.state in ("confirmed", "waiting", "partially_available") and not move.picked
                and not move.move_orig_ids and move.procure_method == "make_to_stock" and not move.move_line_ids
                and move.product_uom == move.product_id.uom_id and move.product_uom_qty == len(lots)
                and not move._should_bypass_reservation() and move.location_id.usage == "internal"
                and move == move.sale_line_id.move_ids.filtered(
                    lambda m: m.state not in ("done", "cancel") and m.location_id.usage == "internal"
                )[:1]
            ):
                result[move] = lots.with_env(self.env)
        return result

    @api.model
    def _free_quants_of(self, move, lots):
        """The ids of the quants holding ``lots`` free (one card each, unreserved, no package nor owner) in the
        move's source location, locked, in the order of the lots; None when a card is not so (then Odoo's own
        reservation decides). As Odoo's reservation with product_expiry, expired cards are not reserved."""
        self.env.flush_all()
        expiring = move.product_id.use_expiration_date
        self.env.cr.execute(
            """
            SELECT q.id FROM stock_quant q
              JOIN stock_location loc ON loc.id = q.location_id
              JOIN stock_lot lot ON lot.id = q.lot_id
             WHERE q.lot_id = ANY(%s) AND q.product_id = %s AND q.quantity = 1 AND q.reserved_quantity = 0
               AND q.package_id IS NULL AND q.owner_id IS NULL AND loc.parent_path LIKE %s
               AND (NOT %s OR q.expiration_date IS NULL OR q.expiration_date >= %s)
          ORDER BY lot.name, lot.id
               FOR NO KEY UPDATE OF q
            """,
            (lots.ids, move.product_id.id, move.location_id.parent_path + "%", expiring, move.date),
        )
        quant_ids = [row[0] for row in self.env.cr.fetchall()]
        return quant_ids if len(quant_ids) == len(lots) else None

    @api.model
    def _create_reserved_lines(self, move, quant_ids):
        """Reserve the quants ``quant_ids`` (one card each) for ``move``: one UPDATE, then a move line per card
        created by the ORM (under ``RESERVED_LOTS``, so that creating them reserves nothing again); creating
        the lines assigns the move."""
        self.env.cr.execute(
            """UPDATE stock_quant SET reserved_quantity = 1, write_uid = %s, write_date = now() AT TIME ZONE 'UTC'
                WHERE id = ANY(%s)""",
            (self.env.uid, quant_ids),
        )
        Quant = self.env["stock.quant"]
        Quant.invalidate_model(["reserved_quantity", "write_uid", "write_date"])
        quants = Quant.browse(quant_ids)
        vals_list = [vals for quant in quants for vals in move._add_serial_move_line_to_vals_list(quant, 1)]
        self.env["stock.move.line"].with_context(**{RESERVED_LOTS: frozenset(quants.lot_id.ids)}).create(vals_list)

    @api.model
    def _is_reserved_in_bulk(self, lot, quantity):
        """Whether reserving ``quantity`` of ``lot`` is already done by :meth:`_create_reserved_lines`."""
        reserved = self.env.context.get(RESERVED_LOTS)
        return bool(reserved and lot and quantity > 0 and lot.id in reserved)

    # ------------------------------------------------------------------ pickings and move lines

    @api.model
    def _create_picking(self, picking_type, source, destination, counts_by_product, origin, company=None):
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
    def _confirm(self, picking):
        """Confirm a bulk picking with its moves' quantities already set (picked), so that nothing is
        reserved automatically; its move lines are written after this, so that confirming does not
        recompute them one by one."""
        for move in picking.move_ids:
            self._set_move_quantity(move, move.product_uom_qty)
        picking.action_confirm()

    @api.model
    def _validate(self, picking, lines, bulk_mode, written=None):
        """Validate a bulk picking whose move lines (``lines``) are written, through Odoo's
        ``button_validate``. ``bulk_mode`` is the context key of the move-line path:
        ``RECEIPT`` or ``TRANSFER``; its value lists the picking's moves. ``written``: what the receipt's
        writer wrote (see ``BULK_WRITTEN``), kept for the validation: its lines need no sort search
        (:meth:`_written_lines_sorted`) and their lots are not read again (:meth:`_lot_ids_by_move`)."""
        if bulk_mode == RECEIPT:
            message = self.env._("The receipt %(picking)s of the new cards could not be validated.",
                                 picking=picking.name)
        else:
            message = self.env._("The transfer %(picking)s could not be validated.", picking=picking.name)
        self.env.cr.cache[BULK_LINE_GROUPS] = {}
        if written:
            self.env.cr.cache[BULK_WRITTEN] = written
        try:
            picking._haoka_validate(message, skip_sanity_check=True, **{bulk_mode: tuple(picking.move_ids.ids)})
        finally:
            self.env.cr.cache.pop(BULK_LINE_GROUPS, None)
            self.env.cr.cache.pop(BULK_WRITTEN, None)
        self._skip_line_recomputes(lines)

    @api.model
    def _deliver(self, picking, message):
        """Validate ``picking``, an order's delivery of SIM cards reserved one per line, through Odoo's
        ``button_validate`` under the context key ``DELIVERY``: the cards' quants go to the customer in one
        statement per source location (:meth:`_deliver_quants`) instead of three quant updates and a quant
        created per card. A picking with other products, or code outside the allow-list, is validated the
        standard way. Returns ``button_validate``'s result."""
        moves = picking.move_ids.filtered(lambda m: m.state not in ("done", "cancel"))
        if not (moves and all(m.product_id.is_sim_card and m.product_id.tracking == "serial" for m in moves)
                and not self._quants_at_destination(moves) and self._use_fast_path(moves.product_id)):
            return picking._haoka_validate(message)
        self.env.cr.cache[BULK_LINE_GROUPS] = {}
        try:
            return picking._haoka_validate(message, **{DELIVERY: tuple(moves.ids)})
        finally:
            self.env.cr.cache.pop(BULK_LINE_GROUPS, None)

    @api.model
    def _quants_at_destination(self, moves):
        """Whether a card of ``moves`` has a quant at its line's destination already (e.g. a card once sold,
        returned and sold again): Odoo updates that quant, the bulk delivery would make a second one."""
        self.env.flush_all()
        self.env.cr.execute(
            """SELECT 1 FROM stock_move_line ml JOIN stock_quant q
                   ON q.lot_id = ml.lot_id AND q.location_id = ml.location_dest_id
                WHERE ml.move_id = ANY(%s) LIMIT 1""",
            (moves.ids,),
        )
        return bool(self.env.cr.fetchone())

    @api.model
    def _skip_line_recomputes(self, lines):
        """Validating marks every line's state, picked flag and expiry for recomputation (they follow the
        move's state and the picking's date). The lines were written with the values these computations
        give (done, picked, the card's expiry), so the per-line recomputation is skipped."""
        MoveLine = self.env["stock.move.line"]
        for name in ("state", "picked", "expiration_date"):
            self.env.remove_to_compute(MoveLine._fields[name], lines)

    @api.model
    def _set_move_quantity(self, move, quantity):
        """The move's stored quantity and picked flag, as the ORM computes them from the lines to come."""
        self.env.flush_all()
        self.env.cr.execute("UPDATE stock_move SET quantity = %s, picked = true WHERE id = %s",
                            (float(quantity), move.id))
        move.invalidate_recordset(["quantity", "picked"])

    @api.model
    def _move_line_values(self, move, now):
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
    def _move_line_rows(self, common, lines):
        """``(columns, rows, tail)`` of bulk move lines for :func:`~..tools.pgcopy.copy_rows`: the rows are
        ``lines``, ``(line id, lot id, lot name, expiry)``, the tail the values they share, ``common``
        (:meth:`_move_line_values`)."""
        return ["id", "lot_id", "lot_name", "expiration_date", *common], lines, tuple(common.values())

    @api.model
    def _cache_move_lines(self, move, common, lines):
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
    def _insert_move_lines(self, picking, move, lot_ids):
        """A move line per card with one COPY, already in the state validation gives it (and in the ORM
        cache, see :meth:`_cache_move_lines`). Called right before the validation."""
        self.env.flush_all()
        self.env.cr.execute(
            "SELECT id, name, expiration_date FROM stock_lot WHERE id = ANY(%s) ORDER BY name", (list(lot_ids),)
        )
        lots = self.env.cr.fetchall()
        ids = pgcopy.next_ids(self.env.cr, "stock_move_line", len(lots))
        common = self._move_line_values(move, fields.Datetime.now())
        lines = [(line_id, *lot) for line_id, lot in zip(ids, lots, strict=True)]
        pgcopy.copy_rows_streamed(self.env.cr, "stock_move_line", *self._move_line_rows(common, lines),
                                  chunk_size=5000)
        self.env["stock.move.line"].invalidate_model()
        move.invalidate_recordset()
        picking.invalidate_recordset()
        return self._cache_move_lines(move, common, lines)

    # ------------------------------------------------------------------ under the bulk context (stock.move)

    @api.model
    def _valued_lines(self, move, incoming):
        """Odoo's selection of the lines of ``move`` entering (or leaving) the valued stock, computed per group
        of lines sharing locations and owner instead of per line: bulk card moves have tens of thousands of
        lines."""
        move.ensure_one()
        Location = self.env["stock.location"]
        ids = []
        for source_id, dest_id, line_ids in self._line_groups(move):
            source_valued = Location.browse(source_id)._should_be_valued()
            dest_valued = Location.browse(dest_id)._should_be_valued()
            if (not source_valued and dest_valued) if incoming else (source_valued and not dest_valued):
                ids.extend(line_ids)
        return self.env["stock.move.line"].browse(ids)

    @api.model
    def _line_groups(self, move):
        """The move's picked lines owned by nobody else, grouped by (source, destination): a list of
        ``(source id, destination id, line ids)``. Validating asks for them about six times per move; while
        a bulk picking is validated (:meth:`_validate`) its lines do not change, so the groups are read once
        and kept for the validation."""
        memo = self.env.cr.cache.get(BULK_LINE_GROUPS)
        if memo is not None and move.id not in (self._bulk_moves() or ()):
            memo = None  # another move, validated along (e.g. assigned by this receipt): its lines may change
        if memo is not None and move.id in memo:
            return memo[move.id]
        self.env["stock.move.line"].flush_model(["move_id", "picked", "owner_id", "company_id", "location_id",
                                                 "location_dest_id"])
        self.env.cr.execute(
            """SELECT ml.location_id, ml.location_dest_id, array_agg(ml.id ORDER BY ml.id)
                 FROM stock_move_line ml JOIN res_company c ON c.id = ml.company_id
                WHERE ml.move_id = %s AND ml.picked AND (ml.owner_id IS NULL OR ml.owner_id = c.partner_id)
                GROUP BY ml.location_id, ml.location_dest_id""",
            (move.id,),
        )
        groups = self.env.cr.fetchall()
        if memo is not None:
            memo[move.id] = groups
        return groups

    # ------------------------------------------------------------------ under the bulk context (stock.move.line)
    # The statements read one table each, by primary key or an indexed column and arrays of ids: their plans
    # do not depend on table statistics, which are stale right after tens of thousands of rows were written in
    # the same transaction (a join of two such tables can turn into a nested loop over both).

    @api.model
    def _lines_done(self, lines):
        """``stock.move.line._action_done`` of bulk ``lines``: checked; a transfer's or a delivery's quants
        moved."""
        if not lines:
            return
        lot_ids_by_move = self._lot_ids_by_move(lines)
        receipt = self.env.context.get(RECEIPT)
        self._check_lines(lines, lot_ids_by_move, receipt)
        if self.env.context.get(DELIVERY):
            self._deliver_quants(lines)
        elif not receipt:
            self._move_transfer_quants(lot_ids_by_move)

    @api.model
    def _lot_ids_by_move(self, lines):
        """``{move: [lot ids]}`` of the moves of ``lines``, read from the database; a receipt's, as its writer
        wrote them (``BULK_WRITTEN``: :meth:`_check_lines` checks the move has these lines and no other)."""
        self.env.flush_all()
        written = self._written().get("lots", {})
        result = {}
        for move in lines.move_id:
            if move.id in written:
                result[move] = written[move.id]
                continue
            self.env.cr.execute("SELECT lot_id FROM stock_move_line WHERE move_id = %s", (move.id,))
            result[move] = [row[0] for row in self.env.cr.fetchall()]
        return result

    @api.model
    def _written(self):
        """What the writer of the bulk receipt being validated wrote (see ``BULK_WRITTEN``), or ``{}``."""
        return self.env.cr.cache.get(BULK_WRITTEN) or {} if self.env.context.get(RECEIPT) else {}

    @api.model
    def _written_lines_sorted(self, lines, reverse=False):
        """``lines.sorted()`` without its search, when every line is one the receipt's writer wrote (no result
        package: in Odoo's order, ``MOVE_LINE_ORDER``, they are in the ids' order) and the user may read
        them (the search applies the record rules; the lines of a move share every column the rules can
        see but their lot, so one line per move is checked); None otherwise (then Odoo searches)."""
        written = self._written()
        if not written or type(lines)._order != MOVE_LINE_ORDER or not written["line_ids"].issuperset(lines._ids):
            return None
        if not self.env.su:
            samples = lines.browse(written["samples"])
            if samples._filtered_access("read") != samples:
                return None
        ids = sorted(set(lines._ids), reverse=reverse)  # a search gives each record once
        return lines.__class__(lines.env, tuple(ids), lines._prefetch_ids)

    @api.model
    def _check_lines(self, lines, lot_ids_by_move, receipt):
        """Every line of the moves is one of ``lines``: one picked SIM card each, with the move's
        product and locations (a delivery's: the move's source or a location inside it); a receipt takes new
        cards from outside the warehouse, into moves whose quants were written with their lines (the context
        key ``RECEIPT`` lists these moves); a delivery's moves are the ones its context key lists."""
        _ = self.env._
        problem = False
        total = 0
        delivery = self.env.context.get(DELIVERY)
        for move, lot_ids in lot_ids_by_move.items():
            total += len(lot_ids)
            problem = problem or self._move_has_wrong_lines(move, lot_ids, delivery)
            if receipt:
                # the receipt's writer names the moves whose quants it wrote
                problem = problem or move.id not in receipt or move.location_id.usage in ("internal", "transit")
            if delivery:
                problem = problem or move.id not in delivery
        if problem or total != len(lines):
            if receipt:
                raise UserError(
                    _("A bulk card receipt only takes new SIM cards, one per line, from outside the warehouse.")
                )
            raise UserError(_("A bulk card transfer only moves SIM cards, one per line, between two locations."))

    @api.model
    def _move_has_wrong_lines(self, move, lot_ids, delivery):
        """Whether ``move`` has other lines than one picked card of ``lot_ids`` each, with its product and
        locations, or a lot that is not a SIM card or twice. The lots a receipt's writer wrote itself
        (``BULK_WRITTEN`` with ``new_lots``) are new SIM cards, one id each from the sequence, in its lines and
        nowhere else: they are not looked up again."""
        sources = (self.env["stock.location"].search([("id", "child_of", move.location_id.id)]).ids
                   if delivery else [move.location_id.id])
        self.env.cr.execute(
            """SELECT count(*), count(*) FILTER (
                          WHERE lot_id IS NULL OR NOT picked OR quantity_product_uom != 1 OR product_id != %s
                             OR location_id != ALL(%s) OR location_dest_id != %s)
                 FROM stock_move_line WHERE move_id = %s""",
            (move.product_id.id, sources, move.location_dest_id.id, move.id),
        )
        count, wrong = self.env.cr.fetchone()
        if wrong or count != len(lot_ids):
            return True
        written = self._written()
        if written.get("new_lots") and move.id in written["lots"]:
            return False
        self.env.cr.execute("SELECT count(*) FROM stock_lot WHERE id = ANY(%s) AND is_sim_card", (lot_ids,))
        return self.env.cr.fetchone()[0] != len(set(lot_ids)) or len(set(lot_ids)) != len(lot_ids)

    @api.model
    def _move_transfer_quants(self, lot_ids_by_move):
        """Internal transfer of whole cards: each card's single unreserved quant changes location,
        keeping its in-date, as ``_synchronize_quant`` would leave it (minus an empty source quant)."""
        for move, lot_ids in lot_ids_by_move.items():
            self.env.cr.execute(
                """
                UPDATE stock_quant SET location_id = %s, write_date = now() AT TIME ZONE 'UTC', write_uid = %s
                 WHERE lot_id = ANY(%s) AND location_id = %s AND quantity = 1 AND reserved_quantity = 0
                """,
                (move.location_dest_id.id, self.env.uid, lot_ids, move.location_id.id),
            )
            if self.env.cr.rowcount != len(lot_ids):
                raise UserError(self.env._(
                    "Some cards of this transfer are no longer available where the transfer takes them from: "
                    "check them and try again."
                ))
            self._set_lot_location(lot_ids, move.location_dest_id)
        self.env["stock.quant"].invalidate_model()

    @api.model
    def _deliver_quants(self, lines):
        """A delivery's cards leave, as ``_synchronize_quant`` moves them: each card's quant, reserved for its
        line, is emptied where it was; a new quant of the card, with its in-date, is made at the line's
        destination (checked free of the cards' quants by :meth:`_deliver`); the lines get the date of the
        move, as Odoo writes it."""
        self.env.cr.execute(
            """SELECT location_id, location_dest_id, array_agg(lot_id) FROM stock_move_line
                WHERE id = ANY(%s) GROUP BY location_id, location_dest_id""",
            (lines.ids,),
        )
        Location = self.env["stock.location"]
        for source_id, dest_id, lot_ids in self.env.cr.fetchall():
            destination = Location.browse(dest_id)
            self.env.cr.execute(DELIVERED_QUANTS, {
                "uid": self.env.uid, "lot_ids": lot_ids, "source": source_id, "destination": dest_id,
                "company": destination.company_id.id or None,
                "inventory_date": destination._get_next_inventory_date() or None,
            })
            if self.env.cr.rowcount != len(lot_ids):
                raise UserError(self.env._(
                    "Some cards of this delivery are no longer reserved where it takes them from: check its "
                    "reservation and try again."
                ))
            self._set_lot_location(lot_ids, destination)
        self.env["stock.quant"].invalidate_model()
        lines.write({"date": fields.Datetime.now()})

    @api.model
    def _receipt_quants_statement(self, move, now):
        """A function ``lot ids -> (query, params)`` inserting two quants per new card of the receipt ``move``,
        as ``_synchronize_quant`` makes them: -1 at the (supplier) source, +1 at the destination. The
        locations are read here, so the function itself does not use the ORM."""
        sides = [
            (location.id, quantity, location.company_id.id or None, location._get_next_inventory_date() or None)
            for location, quantity in ((move.location_id, -1.0), (move.location_dest_id, 1.0))
        ]
        columns = [list(column) for column in zip(*sides, strict=True)]
        product_id, uid = move.product_id.id, self.env.uid
        query = """
            INSERT INTO stock_quant (product_id, company_id, location_id, lot_id, quantity, inventory_diff_quantity,
                                     inventory_date, in_date, expiration_date, removal_date,
                                     create_uid, create_date, write_uid, write_date,
                                     reserved_quantity, inventory_quantity, inventory_quantity_set)
            SELECT %s, side.company_id, side.location_id, lot.id, side.quantity, -side.quantity,
                   side.inventory_date, %s, lot.expiration_date, lot.removal_date, %s, %s, %s, %s, 0, 0, false
              FROM stock_lot lot
             CROSS JOIN unnest(%s::int[], %s::numeric[], %s::int[], %s::date[])
                        AS side(location_id, quantity, company_id, inventory_date)
             WHERE lot.id = ANY(%s)
        """

        def statement(lot_ids):
            return query, (product_id, now, uid, now, uid, now, *columns, lot_ids)

        return statement

    @api.model
    def _set_lot_location(self, lot_ids, location):
        """The lot's single location follows its quants, as the ORM computes it."""
        self.env.cr.execute(
            "UPDATE stock_lot SET location_id = %s WHERE id = ANY(%s) AND location_id IS DISTINCT FROM %s",
            (location.id, lot_ids, location.id),
        )
        self.env["stock.lot"].invalidate_model(["quant_ids", "location_id", "product_qty"])


class _BulkReceipt:
    """The receipts of cards received in bulk: one confirmed receipt per plan, whose move lines and quants
    are queued chunk by chunk on a :class:`~..tools.pgcopy.Pipeline`, then validated by Odoo.

    Everything the queued statements need from the ORM is read when the receipts are made, so that queuing
    does not use the cursor the pipeline is writing with."""

    def __init__(self, env, counts_by_product, location, origin, new_lots=False):
        Bulk = env["haoka.stock.bulk"]
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
            picking = Bulk._create_picking(picking_type, source, location, {product: count}, origin, company)
            Bulk._confirm(picking)
            move = picking.move_ids
            self.moves[product] = move
            self.common[move] = Bulk._move_line_values(move, now)
            self.quant_statements[move] = Bulk._receipt_quants_statement(move, now)
            self.lines[move] = []
        self.line_ids = None
        #: the lots are written by the same pipeline (new SIM cards), not brought (see HaokaStockBulk._check_lines)
        self.new_lots = new_lots
        env.flush_all()

    def start(self, pipe):
        """Start drawing the move lines' ids on ``pipe``: exactly one per card."""
        self.line_ids = pipe.ids("stock_move_line", BULK_ID_BLOCK, self.total)

    def queue(self, pipe, lots):
        """Queue the move lines and quants of ``lots``: ``(lot id, product, ICCID, expiry)``."""
        by_move = defaultdict(list)
        for line_id, (lot_id, product, name, expiry) in zip(self.line_ids.take(len(lots)), lots, strict=True):
            by_move[self.moves[product]].append((line_id, lot_id, name, expiry))
        for move, lines in by_move.items():
            pipe.copy("stock_move_line", *self.env["haoka.stock.bulk"]._move_line_rows(self.common[move], lines))
            pipe.execute(*self.quant_statements[move]([line[1] for line in lines]))
            self.lines[move].extend(lines)

    def validate(self):
        """Validate the receipts (their lines all written); returns the pickings."""
        env = self.env
        Bulk = env["haoka.stock.bulk"]
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
            records = Bulk._cache_move_lines(move, self.common[move], lines)
            # the receipt has this one move, whose lines are the writer's (checked when validating): both
            # one2many are known, in their order (by id: the lines have no result package)
            line_ids = tuple(sorted(records.ids))
            env.cache.update(move, move._fields["move_line_ids"], [line_ids])
            env.cache.update(picking, picking._fields["move_line_ids"], [line_ids])
            written = {"line_ids": frozenset(line_ids), "samples": line_ids[:1], "new_lots": self.new_lots,
                       "lots": {move.id: [line[1] for line in lines]}}
            Bulk._validate(picking, records, RECEIPT, written)
            pickings |= picking
        return pickings
