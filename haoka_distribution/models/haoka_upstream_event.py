"""The inbox of what upstream sources report (webhook callbacks and report-file rows).

Each event is stored raw before anything else, once per ``(source, external id)`` (a unique constraint and
``INSERT ... ON CONFLICT DO NOTHING``), then processed in the background by a cron woken with ``_trigger()``:
one savepoint per event, so a failing event leaves the others alone. A failure that may pass (the card is not
shipped yet, a closure before the activation arrives) is retried with back-off; one that cannot (unmapped
status, unknown card, unreadable payload) or that kept failing becomes a dead letter: ``failed`` with no next
retry, listed for 号卡主管, who may map the status and replay it.
"""

import json
import logging
import threading
import time
from collections import defaultdict
from datetime import timedelta
from urllib.parse import parse_qsl

from psycopg2 import OperationalError

from odoo import api, fields, models, sql_db
from odoo.addons.base.models.ir_cron import ODOO_NOTIFY_FUNCTION
from odoo.exceptions import UserError, ValidationError
from odoo.tools import SQL

from ..tools import sim, spreadsheet, upstream_signature
from ..tools.throttle import Throttle
from .haoka_upstream_status_map import UPSTREAM_EVENTS

_logger = logging.getLogger(__name__)

MAX_ATTEMPTS = 5
BATCH_SIZE = 1000
#: from this many events, they are first tried all at once
BATCH_MIN = 20
#: the order events of one batch are applied in (an activation before the top-up or closure of the same cards)
EVENT_ORDER = ["activated", "in_service", "first_topup", "suspended", "closed", "rejected"]
#: the notices that wake the cron workers for new events: at most one a second from a process
WAKE_NOTICES = Throttle(1.0)


def notify_cron_workers(dbname):
    """What ``ir.cron._notifydb`` sends: the cron workers listen on the ``postgres`` database."""
    with sql_db.db_connect("postgres").cursor() as cr:
        cr.execute(SQL("SELECT %s('cron_trigger', %s)", SQL.identifier(ODOO_NOTIFY_FUNCTION), dbname))


def wake_cron_workers(dbname, throttle=WAKE_NOTICES):
    """Run after the commit of a new event: the notice now, or one notice a little later for all the events of
    that second (a timer thread of this process); no event is left without a notice after its commit."""
    delay = throttle.ask(time.monotonic())
    if delay == 0:
        notify_cron_workers(dbname)
    elif delay is not None:
        def later():
            throttle.went_later(time.monotonic())
            notify_cron_workers(dbname)

        timer = threading.Timer(delay, later)
        timer.daemon = True
        timer.start()


class PermanentError(Exception):
    """An event that retrying will not fix: it becomes a dead letter at once."""


class FileRow:
    """A row of a report file about to be stored as an event (see ``HaokaUpstreamEvent._receive_file_rows``): what
    the set-based path reads of an event, its id drawn from the events' sequence already."""

    __slots__ = ("events", "id", "source_id", "external_id", "payload", "received_at")

    def __init__(self, events, event_id, source, external_id, payload, received_at):
        self.events, self.id, self.source_id = events, event_id, source
        self.external_id, self.payload, self.received_at = external_id, payload, received_at

    def _values(self):
        return self.events._parse_payload(self.payload)

    def _event_date(self, value):
        return self.events._event_date_at(value, self.received_at)

    def _amount(self, value):
        return self.events._amount(value)


class HaokaUpstreamEvent(models.Model):
    _name = "haoka.upstream.event"
    _description = "Upstream Event (raw, idempotent inbox)"
    _inherit = ["mail.thread"]
    _order = "received_at desc, id desc"
    _rec_name = "external_id"

    source_id = fields.Many2one("haoka.upstream", string="Source", required=True, ondelete="cascade",
                                readonly=True)  # indexed first in (source, external id) and (source, signature)
    external_id = fields.Char(string="Event Id", readonly=True, index=True,
                              help="The source's id of the event; empty for a refused request.")
    origin = fields.Selection([("webhook", "Webhook"), ("file", "Report File")], default="webhook", readonly=True)
    payload = fields.Text(readonly=True, help="The request body as received.")
    headers = fields.Text(readonly=True)
    signature_verdict = fields.Selection(
        [(v, v.capitalize()) for v in upstream_signature.VERDICTS] + [("file", "Imported File")],
        readonly=True, string="Signature")
    signature_digest = fields.Char(readonly=True, copy=False)  # indexed with the source: init()
    received_at = fields.Datetime(readonly=True, default=fields.Datetime.now, index=True)
    state = fields.Selection(
        [("received", "Received"), ("processed", "Processed"), ("failed", "Failed"), ("ignored", "Ignored")],
        default="received", required=True, index=True, readonly=True)
    attempts = fields.Integer(readonly=True)
    next_retry_at = fields.Datetime(string="Next Retry", readonly=True, index="btree_not_null")
    processed_at = fields.Datetime(readonly=True)
    error = fields.Text(readonly=True)
    status_code = fields.Char(string="Their Status", readonly=True)
    event = fields.Selection(UPSTREAM_EVENTS, string="Our Event", readonly=True)
    lot_ids = fields.Many2many("stock.lot", string="Cards", readonly=True)
    is_dead_letter = fields.Boolean(compute="_compute_is_dead_letter", search="_search_is_dead_letter")

    _sql_constraints = [
        ("external_id_unique", "unique(source_id, external_id)", "This event was already received from this source."),
    ]

    @api.depends("state", "next_retry_at")
    def _compute_is_dead_letter(self):
        for event in self:
            event.is_dead_letter = event.state == "failed" and not event.next_retry_at

    def _search_is_dead_letter(self, operator, value):
        domain = self._dead_letter_domain()
        return domain if (operator == "=") == bool(value) else ["!", *domain]

    @api.model
    def _dead_letter_domain(self):
        return ["&", ("state", "=", "failed"), ("next_retry_at", "=", False)]

    # ------------------------------------------------------------------ intake

    @api.model
    def _store_raw(self, source, external_id, payload, headers=None, verdict="valid", digest=None, origin="webhook",
                   state="received", error=None):
        """Insert one event as received, unless ``(source, external_id)`` is already there; the new id or None.

        Plain SQL with ``ON CONFLICT DO NOTHING``: two deliveries of one event racing each other store it once.
        The second, whose snapshot missed the first one's commit, gets a serialization failure (repeatable read),
        and Odoo retries its request, which then finds the event stored."""
        self.env.cr.execute(SQL("%s RETURNING id", self._insert_raw_sql(
            source, external_id, payload, headers, verdict=verdict, digest=digest, origin=origin, state=state,
            error=error)), log_exceptions=False)  # a delivery racing another one is retried by Odoo, not an error
        row = self.env.cr.fetchone()
        return row[0] if row else None

    @api.model
    def _store_webhook_event(self, source, external_id, payload, headers, digest):
        """A signed webhook event stored and the processing cron woken, in one statement (the webhook's every
        request pays each round trip to the database): the event is inserted unless ``(source, external_id)`` is
        already there or ``digest`` (its signature's) was accepted before, and the cron's trigger row only with a
        new event (:meth:`_wake_processor`). The new id, or None: a duplicate or a replay, which the caller tells
        apart with :meth:`_signature_seen`."""
        self.env.cr.execute(SQL(
            """WITH event AS (%s RETURNING id), wake AS (%s AND EXISTS (SELECT FROM event) RETURNING id)
               SELECT (SELECT id FROM event), (SELECT count(*) FROM wake)""",
            self._insert_raw_sql(source, external_id, payload, headers, digest=digest, unless_seen=True),
            self._trigger_row_sql(),
        ), log_exceptions=False)  # a delivery racing another one is retried by Odoo, not an error
        event_id, woken = self.env.cr.fetchone()
        if woken:
            self._wake_after_commit()
        return event_id

    @api.model
    def _signature_seen(self, source, digest):
        """Whether a request of ``source`` with the signature of ``digest`` was received before (a replay)."""
        return bool(digest) and bool(self.sudo().search_count(
            [("source_id", "=", source.id), ("signature_digest", "=", digest)], limit=1))

    @api.model
    def _insert_raw_sql(self, source, external_id, payload, headers=None, verdict="valid", digest=None,
                        origin="webhook", state="received", error=None, unless_seen=False):
        """The ``INSERT`` of one received event, nothing when ``(source, external_id)`` is there, nor with
        ``unless_seen`` when a row of ``source`` has the signature ``digest``."""
        return SQL(
            """INSERT INTO haoka_upstream_event (source_id, external_id, origin, payload, headers, signature_verdict,
                   signature_digest, received_at, next_retry_at, state, error, attempts,
                   create_uid, write_uid, create_date, write_date)
               SELECT %(source)s, %(external)s, %(origin)s, %(payload)s, %(headers)s, %(verdict)s, %(digest)s,
                   %(now)s, CASE WHEN %(state)s = 'received' THEN %(now)s END,
                   %(state)s, %(error)s, 0, %(uid)s, %(uid)s, now() at time zone 'UTC', now() at time zone 'UTC'
               %(unless_seen)s
               ON CONFLICT (source_id, external_id) DO NOTHING""",
            source=source.id, external=external_id or None, origin=origin, payload=payload,
            headers=json.dumps(headers or {}, ensure_ascii=False), verdict=verdict, digest=digest, state=state,
            error=error, uid=self.env.uid or 1, now=fields.Datetime.now(),
            unless_seen=SQL("WHERE NOT EXISTS (SELECT FROM haoka_upstream_event WHERE source_id = %s "
                            "AND signature_digest = %s)", source.id, digest) if unless_seen and digest else SQL(),
        )

    @api.model
    def _store_raw_many(self, source, rows, chunk=1000):
        """Insert the rows of a report file (``[(external id, payload)]``) as received events of ``source``, those
        already there skipped, with one statement per ``chunk`` rows; the new ids, in the file's order."""
        new_ids = []
        now = fields.Datetime.now()
        for start in range(0, len(rows), chunk):
            self.env.cr.execute(SQL(
                """INSERT INTO haoka_upstream_event (source_id, external_id, origin, payload, headers,
                       signature_verdict, received_at, next_retry_at, state, attempts, create_uid, write_uid,
                       create_date, write_date)
                   VALUES %s ON CONFLICT (source_id, external_id) DO NOTHING RETURNING id""",
                SQL(", ").join(SQL("(%s, %s, 'file', %s, '{}', 'file', %s, %s, 'received', 0, %s, %s, %s, %s)",
                                   source.id, external_id, payload, now, now, self.env.uid or 1, self.env.uid or 1,
                                   now, now) for external_id, payload in rows[start:start + chunk])))
            new_ids += sorted(row[0] for row in self.env.cr.fetchall())
        return new_ids

    @api.model
    def _receive_file_rows(self, source, rows):
        """Store the rows of a report file (``[(external id, payload)]``) as events of ``source`` and process them;
        the new events (rows already stored, or repeated in the file, are skipped).

        What :meth:`_store_raw_many` then :meth:`_process` give, with one write of each event instead of two: the
        rows the set-based path applies are inserted already processed or ignored (the same values
        :meth:`_write_outcomes` writes); the others are inserted as received, then processed one by one. A file is
        one transaction, so its events are stored no later than before. Should the set-based path fail, every row
        is stored as received and processed one by one."""
        rows = self._new_file_rows(source, rows)
        if len(rows) < self.env.context.get("haoka_upstream_batch_min", BATCH_MIN):
            events = self.browse(self._store_raw_many(source, rows))
            events._process()
            return events
        now = fields.Datetime.now()
        drafts = [FileRow(self, event_id, source, external_id, payload, now)
                  for event_id, (external_id, payload) in zip(self._draw_ids(len(rows)), rows, strict=True)]
        try:
            with self.env.cr.savepoint():
                plans, ignored, statuses, rest, links = self._apply_batch(drafts)
                self._insert_file_events(source, drafts, plans, ignored, statuses, now)
                self._link_cards(links)
        except OperationalError:
            raise  # another transaction on the same rows (the same file imported twice at once): retried whole
        except Exception as error:  # noqa: BLE001 - one by one below, each event recording its own error
            _logger.info("report of upstream %s processed one by one: %r", source.code, error)
            events = self.browse(self._store_raw_many(source, rows))
            events.with_context(haoka_upstream_batch_min=len(events) + 1)._process()
            return events
        left = self.browse([draft.id for draft in drafts if draft.id in rest])
        left.with_context(haoka_upstream_batch_min=len(left) + 1)._process()
        return self.browse([draft.id for draft in drafts])

    @api.model
    def _new_file_rows(self, source, rows):
        """The rows whose external id ``source`` has no event for yet, each id once (its first row)."""
        unique = {}
        for external_id, payload in rows:
            unique.setdefault(external_id, payload)
        self.flush_model(["source_id", "external_id"])
        self.env.cr.execute(
            "SELECT external_id FROM haoka_upstream_event WHERE source_id = %s AND external_id = ANY(%s)",
            (source.id, list(unique)))
        stored = {row[0] for row in self.env.cr.fetchall()}
        return [(external_id, payload) for external_id, payload in unique.items() if external_id not in stored]

    @api.model
    def _draw_ids(self, count):
        """``count`` new ids from the events' sequence."""
        self.env.cr.execute("SELECT nextval(pg_get_serial_sequence('haoka_upstream_event', 'id')) "
                            "FROM generate_series(1, %s)", [count])
        return [row[0] for row in self.env.cr.fetchall()]

    @api.model
    def _insert_file_events(self, source, drafts, plans, ignored, statuses, now, chunk=1000):
        """Insert the events of ``drafts``: those of ``plans`` processed, the ``ignored`` ignored (with their status
        code and our event, as :meth:`_write_outcomes` writes them), the others received, due now. A row stored
        meanwhile is an error: the caller then stores the rows as received, those already there skipped."""
        outcomes = {event.id: ("processed", kind) for event, kind, *_rest in plans}
        outcomes.update((event.id, ("ignored", "ignored")) for event in ignored)
        uid = self.env.uid or 1
        for start in range(0, len(drafts), chunk):
            values = []
            for draft in drafts[start:start + chunk]:
                state, kind = outcomes.get(draft.id, ("received", None))
                done = state != "received"
                values.append(SQL("(%s, %s, %s, 'file', %s, '{}', 'file', %s, %s, %s, %s, %s, %s, 0, %s, %s, %s, %s)",
                                  draft.id, source.id, draft.external_id, draft.payload, now,
                                  None if done else now, state, kind, statuses[draft.id] if done else None,
                                  now if done else None, uid, uid, now, now))
            self.env.cr.execute(SQL(
                """INSERT INTO haoka_upstream_event (id, source_id, external_id, origin, payload, headers,
                       signature_verdict, received_at, next_retry_at, state, event, status_code, processed_at, attempts,
                       create_uid, write_uid, create_date, write_date)
                   VALUES %s ON CONFLICT (source_id, external_id) DO NOTHING""", SQL(", ").join(values)),
                log_exceptions=False)  # an import racing another one is retried by Odoo, not an error
            if self.env.cr.rowcount != len(values):
                raise RuntimeError("events of this report stored meanwhile by another transaction")

    def init(self):
        # the refused requests of a source in the last hour are counted at each refusal (their cap)
        self.env.cr.execute("""CREATE INDEX IF NOT EXISTS haoka_upstream_event_refused_idx
                               ON haoka_upstream_event (source_id, received_at) WHERE external_id IS NULL""")
        # the replay check of every webhook request: one index entry of (source, signature). The indexes of the
        # source alone and of the signature alone are gone (migration 18.0.1.3.0): for a new source, unknown to
        # the statistics yet, the planner took the source's and read all its events on every request;
        # (source, external id) serves the searches by source
        self.env.cr.execute("""CREATE INDEX IF NOT EXISTS haoka_upstream_event_signature_idx
                               ON haoka_upstream_event (source_id, signature_digest)
                               WHERE signature_digest IS NOT NULL""")

    @api.model
    def _store_refused(self, source, payload, headers, verdict, error, digest=None):
        """Store a refused request (no external id, ``ignored``) unless the source already has its
        ``refused_per_hour`` of them in the last hour: a sender of bad requests cannot fill the table. The new id or
        None. Count and insert are one statement; concurrent refusals may pass the cap by a few rows."""
        self.env.cr.execute(SQL(
            """INSERT INTO haoka_upstream_event (source_id, origin, payload, headers, signature_verdict,
                   signature_digest, received_at, state, error, attempts, create_uid, write_uid, create_date,
                   write_date)
               SELECT %(source)s, 'webhook', %(payload)s, %(headers)s, %(verdict)s, %(digest)s, %(now)s, 'ignored',
                   %(error)s, 0, %(uid)s, %(uid)s, %(now)s, %(now)s
                WHERE (SELECT count(*) FROM haoka_upstream_event WHERE source_id = %(source)s
                          AND external_id IS NULL AND received_at > %(since)s) < %(cap)s
            RETURNING id""",
            source=source.id, payload=payload, headers=json.dumps(headers or {}, ensure_ascii=False), verdict=verdict,
            digest=digest, error=error, uid=self.env.uid or 1, now=fields.Datetime.now(),
            since=fields.Datetime.now() - timedelta(hours=1), cap=max(source.refused_per_hour, 0)))
        row = self.env.cr.fetchone()
        if not row:
            _logger.warning("upstream %s: refused request not stored (over %s per hour)", source.code,
                            source.refused_per_hour)
        return row[0] if row else None

    @api.autovacuum
    def _gc_refused_requests(self):
        """Remove refused requests older than their source's ``refused_keep_days``; accepted events stay."""
        for source in self.env["haoka.upstream"].with_context(active_test=False).search([]):
            self.env.cr.execute(SQL(
                "DELETE FROM haoka_upstream_event WHERE source_id = %s AND external_id IS NULL AND received_at < %s",
                source.id, fields.Datetime.now() - timedelta(days=max(source.refused_keep_days, 1))))

    @api.model
    def _wake_processor(self):
        """``ir.cron._trigger()`` of the processing cron at the cost of one statement in the request: the trigger
        row in plain SQL (the cron is not read: an inactive one gets none, as ``_trigger`` does), and after the
        commit the notice to the cron workers, throttled (:func:`wake_cron_workers`): a burst of events wakes the
        cron about once a second, and the cron finds every trigger row still due when it runs."""
        self.env.cr.execute(self._trigger_row_sql())
        if self.env.cr.rowcount:
            self._wake_after_commit()

    @api.model
    def _trigger_row_sql(self):
        """The ``INSERT`` of a trigger row of the processing cron, due now, nothing when the cron is inactive."""
        cron_id = self.env["ir.model.data"]._xmlid_to_res_id("haoka_distribution.ir_cron_haoka_upstream_process")
        return SQL(
            """INSERT INTO ir_cron_trigger (cron_id, call_at, create_uid, write_uid, create_date, write_date)
               SELECT id, %(now)s, %(uid)s, %(uid)s, now() at time zone 'UTC', now() at time zone 'UTC'
               FROM ir_cron WHERE id = %(cron)s AND active""",
            cron=cron_id, now=fields.Datetime.now(), uid=self.env.uid or 1)

    def _wake_after_commit(self):
        dbname = self.env.cr.dbname
        self.env.cr.postcommit.add(lambda: wake_cron_workers(dbname))

    # ------------------------------------------------------------------ processing

    @api.model
    def _cron_process(self, limit=BATCH_SIZE):
        """Process the events due (new ones and retries), one savepoint each, in batches."""
        now = fields.Datetime.now()
        domain = [("state", "in", ("received", "failed")), ("next_retry_at", "<=", now)]
        events = self._claim_due(now, limit)
        events._process()
        remaining = self.sudo().search_count(domain) if len(events) == limit else 0
        self.env["ir.cron"]._notify_progress(done=len(events), remaining=remaining)  # a backlog: run again soon
        return len(events)

    @api.model
    def _claim_due(self, now, limit):
        """The events due, locked for this transaction; those another worker is processing are skipped."""
        self.flush_model(["state", "next_retry_at"])
        self.env.cr.execute(SQL(
            """SELECT id FROM haoka_upstream_event WHERE state IN ('received', 'failed') AND next_retry_at <= %s
               ORDER BY received_at, id LIMIT %s FOR UPDATE SKIP LOCKED""", now, limit))
        return self.sudo().browse(row[0] for row in self.env.cr.fetchall())

    def _process(self):
        """Process the events: the plain ones set-based (:meth:`_process_batch`), the others (or all of them, when
        the set-based apply fails) each in a savepoint of its own, a failure recorded on the event."""
        rest = self
        if len(self) >= self.env.context.get("haoka_upstream_batch_min", BATCH_MIN):
            try:
                with self.env.cr.savepoint():
                    rest = self._process_batch()
            except Exception as error:  # noqa: BLE001 - one by one below, each event recording its own error
                _logger.info("upstream events %s processed one by one: %r", self.ids[:5], error)
        for event in rest:
            event.status_code = event._status_in_payload()
            try:
                with self.env.cr.savepoint():
                    event._process_one()
            except PermanentError as error:
                event._fail(str(error), permanent=True)
            except (UserError, ValidationError) as error:
                event._fail(error.args[0] if error.args else str(error), permanent=False)
            except Exception as error:  # noqa: BLE001 - recorded on the event, the batch goes on
                _logger.exception("upstream event %s failed", event.id)
                event._fail(repr(error), permanent=False)

    def _fail(self, message, permanent):
        attempts = self.attempts + 1
        dead = permanent or attempts >= MAX_ATTEMPTS
        self.write({
            "state": "failed", "attempts": attempts, "error": message,
            "next_retry_at": False if dead else fields.Datetime.now() + timedelta(
                minutes=upstream_signature.backoff_minutes(attempts)),
        })
        if dead:
            self.source_id._raise_activity(self.env._("Dead letters to look at"))

    def _values(self):
        """The payload as a flat dict."""
        return self._parse_payload(self.payload)

    @api.model
    def _parse_payload(self, text):
        """A JSON object or form parameters as a flat dict (a nested ``data`` object is merged in)."""
        text = (text or "").strip()
        try:
            values = json.loads(text) if text[:1] in "{[" else dict(parse_qsl(text, keep_blank_values=True))
        except ValueError as error:
            raise PermanentError(self.env._("The payload is not readable: %(error)s", error=error)) from error
        if isinstance(values, dict) and isinstance(values.get("data"), dict):
            values = {**values, **values["data"]}
        if not isinstance(values, dict):
            raise PermanentError(self.env._("The payload is not an object."))
        return values

    def _pick(self, values, field):
        return self.source_id._pick_value(values, field)

    def _process_batch(self):
        """Apply the plain events set-based (:meth:`_apply_batch`), the same result as one by one (a test compares
        them), then link them to their cards and write each outcome: one write per group of events ending alike.
        The events left for one by one are returned."""
        plans, ignored, statuses, rest, links = self._apply_batch(self)
        self._link_cards(links)
        self._write_outcomes(plans, ignored, statuses)
        return self.browse([event.id for event in self if event.id in rest])

    @api.model
    def _apply_batch(self, events):
        """Apply the plain ``events`` (records, or :class:`FileRow` of a report not stored yet) to their cards:
        each payload read once, one search per kind of card reference, one call per (event, date, amount) for all
        its cards. ``(plans, ignored, {event id: status code}, {event id: reference} of the events left for one by
        one, [(event id, card id)])``: left are those not plain (unmapped, shipped, unreadable, an unknown card, a
        number other than the card's) and every other event of their cards, so that each card's events still apply
        in the order received."""
        plans, ignored, statuses, rest = self._batch_plans(events)
        cards = self._batch_cards(plans)
        for event, kind, match, reference, _date, _amount, number in plans:
            card = cards.get((match, reference))
            if not card or (kind == "activated" and number and card.msisdn and card.msisdn != number):
                rest[event.id] = reference
        held = set(rest.values()) - {None}
        kept = []
        for plan in plans:
            if plan[0].id not in rest and plan[3] in held:
                rest[plan[0].id] = plan[3]
            elif plan[0].id not in rest:
                kept.append(plan)
        plans = kept
        groups, links = defaultdict(dict), []
        for event, kind, match, reference, date, amount, _number in plans:
            card = cards[(match, reference)]
            groups[(EVENT_ORDER.index(kind), date, amount)][card.id] = True
            links.append((event.id, card.id))
        Lot = self.env["stock.lot"]
        for (kind, date, amount), card_ids in sorted(groups.items(), key=lambda item: item[0]):
            Lot.browse(card_ids)._haoka_apply_upstream_event(EVENT_ORDER[kind], date, amount=amount)
        self._write_last_statuses(plans, cards, len(groups))
        return plans, ignored, statuses, rest, links

    @api.model
    def _batch_plans(self, events):
        """``(plans, ignored events, {event id: status code}, {event id: card reference or None})``: a plan
        ``(event, our event, card match, reference, date, amount, number)`` per plain event to apply, and the
        events left for one by one (see :meth:`_apply_batch`)."""
        plans, ignored, statuses, rest, mappings, pickers = [], [], {}, {}, {}, {}
        for event in events:
            source = event.source_id
            pick = pickers.get(source.id) or pickers.setdefault(source.id, source._value_picker())
            try:
                values = event._values()
            except PermanentError:
                rest[event.id] = None
                continue
            code = pick(values, "key_status")
            statuses[event.id] = spreadsheet.cell_text(code) if code is not None else False
            key = (source.id, statuses[event.id])
            mapping = mappings[key] if key in mappings else mappings.setdefault(
                key, source._status_event(statuses[event.id]))
            reference = spreadsheet.cell_text(pick(values, "key_card") or "")
            if not mapping or mapping.event == "shipped" or source.card_match == "order_ref":
                rest[event.id] = reference or None
                continue
            if mapping.event == "ignored":
                ignored.append(event)
                continue
            number = pick(values, "key_number")
            try:
                plans.append((event, mapping.event, source.card_match, reference,
                              event._event_date(pick(values, "key_date")), event._amount(pick(values, "key_amount")),
                              sim.normalize_msisdn(str(number)) if number not in (None, "") else None))
            except PermanentError:
                rest[event.id] = reference or None
        return plans, ignored, statuses, rest

    def _write_outcomes(self, plans, ignored, statuses):
        """Each event processed (or ignored) with its status code and our event: one write per group of events
        with the same values, not one per event."""
        now = fields.Datetime.now()
        outcomes = defaultdict(list)
        for event, kind, *_rest in plans:
            outcomes[("processed", kind, statuses[event.id])].append(event.id)
        for event in ignored:
            outcomes[("ignored", "ignored", statuses[event.id])].append(event.id)
        for (state, kind, code), ids in outcomes.items():
            self.browse(ids).write({"state": state, "event": kind, "status_code": code, "processed_at": now,
                                    "error": False, "next_retry_at": False})

    def _write_last_statuses(self, plans, cards, groups=2):
        """Each card's upstream status is the last one received for it, as one by one (with one group of events,
        the group's call wrote it already)."""
        if groups < 2:
            return
        last = {}
        for _event, kind, match, reference, date, *_rest in plans:
            last[cards[(match, reference)].id] = (kind, date)
        statuses = defaultdict(list)
        for card_id, status in last.items():
            statuses[status].append(card_id)
        for (kind, date), card_ids in statuses.items():
            self.env["stock.lot"].browse(card_ids).with_context(tracking_disable=True).write(
                {"haoka_upstream_status": kind, "haoka_upstream_status_date": date})

    def _batch_cards(self, plans):
        """``{(match, reference): card}`` for the references of ``plans``, looked up at once by the cards' unique
        indexes (``stock.lot._haoka_sim_card_ids``)."""
        references = {}
        for match, normalize in (("iccid", sim.normalize_iccid), ("msisdn", sim.normalize_msisdn)):
            references[match] = {plan[3]: normalize(plan[3]) for plan in plans if plan[2] == match}
        if not any(references.values()):
            return {}
        Lot = self.env["stock.lot"].sudo()
        found = Lot.browse(Lot._haoka_sim_card_ids(set(references["iccid"].values()),
                                                   set(references["msisdn"].values())))
        by_value = {"iccid": {card.name: card for card in found},
                    "msisdn": {card.msisdn: card for card in found if card.msisdn}}
        return {(match, raw): by_value[match][clean]
                for match, refs in references.items() for raw, clean in refs.items() if clean in by_value[match]}

    def _link_cards(self, links):
        """The events' cards, written in one statement (a many2many write per event is slow for big files)."""
        if not links:
            return
        field = self._fields["lot_ids"]
        self.env.cr.execute(SQL(
            "INSERT INTO %s (%s, %s) VALUES %s ON CONFLICT DO NOTHING",
            SQL.identifier(field.relation), SQL.identifier(field.column1), SQL.identifier(field.column2),
            SQL(", ").join(SQL("(%s, %s)", event_id, card_id) for event_id, card_id in links)))
        self.invalidate_recordset(["lot_ids"])

    def _status_in_payload(self):
        """The source's status code in the payload, as text; False when there is none or it is unreadable."""
        try:
            code = self._pick(self._values(), "key_status")
        except PermanentError:
            return False
        return spreadsheet.cell_text(code) if code is not None else False

    def _process_one(self):
        """Map the status, find the cards, apply the event to them."""
        _ = self.env._
        values = self._values()
        mapping = self.source_id._status_event(self.status_code)
        if not mapping:
            raise PermanentError(_("Status %(status)s of %(upstream)s is not mapped to an event.",
                                   status=self.status_code or _("(empty)"), upstream=self.source_id.name))
        self.event = mapping.event
        if mapping.event == "ignored":
            self.write({"state": "ignored", "processed_at": fields.Datetime.now(), "error": False,
                        "next_retry_at": False})
            return
        date = self._event_date(self._pick(values, "key_date"))
        if mapping.event == "shipped":
            self._apply_upstream_shipping(values)
            self.write({"state": "processed", "processed_at": fields.Datetime.now(), "error": False,
                        "next_retry_at": False})
            return
        cards = self._find_cards(self._pick(values, "key_card"))
        self.lot_ids = cards
        cards._haoka_apply_upstream_event(mapping.event, date, amount=self._amount(self._pick(values, "key_amount")),
                                          number=self._pick(values, "key_number"), source=self.source_id)
        self.write({"state": "processed", "processed_at": fields.Datetime.now(), "error": False,
                    "next_retry_at": False})

    def _apply_upstream_shipping(self, values):
        """The upstream shipped a card of one of its orders: the card joins the order (上游代发)."""
        _ = self.env._
        reference = self._pick(values, "key_card")
        order = self.env["sale.order"]._haoka_find_upstream_order(spreadsheet.cell_text(reference or ""))
        if not order:
            raise PermanentError(_("No order %(order)s fulfilled by %(upstream)s is known.",
                                   order=reference or _("(empty)"), upstream=self.source_id.name))
        iccid = self._pick(values, "key_iccid")
        if not iccid:
            raise PermanentError(_("The shipping of order %(order)s names no ICCID.", order=order.name))
        self.lot_ids = order._haoka_upstream_card_shipped(
            spreadsheet.cell_text(iccid), self._pick(values, "key_number"), self._pick(values, "key_tracking"),
            courier=self._pick(values, "key_courier"))

    def _find_cards(self, reference):
        _ = self.env._
        if reference in (None, ""):
            raise PermanentError(_("The event names no card."))
        reference = spreadsheet.cell_text(reference)
        cards = self.env["stock.lot"]._haoka_find_upstream_cards(self.source_id.card_match, reference)
        if not cards and self.source_id.card_match == "order_ref" and \
                self.env["sale.order"]._haoka_find_upstream_order(reference):
            raise UserError(_("Order %(order)s has no card yet (its shipping has not arrived).", order=reference))
        if not cards:
            raise PermanentError(_("No card %(card)s is known (cards named by %(match)s).", card=reference,
                                   match=dict(self.source_id._fields["card_match"]._description_selection(
                                       self.env))[self.source_id.card_match]))
        return cards

    def _event_date(self, value):
        return self._event_date_at(value, self.received_at)

    @api.model
    def _event_date_at(self, value, received_at):
        """The date of an event: ``value`` read as a date, or the day it was received."""
        if value in (None, ""):
            return fields.Date.context_today(self, received_at)
        date = spreadsheet.parse_date(value)
        if not date:
            raise PermanentError(self.env._("The date %(date)s is not readable.", date=value))
        return date

    def _amount(self, value):
        if value in (None, ""):
            return 0.0
        try:
            return float(str(value).replace(",", "").replace("¥", "").replace("元", "").strip())
        except ValueError as error:
            raise PermanentError(self.env._("The amount %(amount)s is not a number.", amount=value)) from error

    # ------------------------------------------------------------------ dead letters

    def action_replay(self):
        """Process these events again now (after the status was mapped or the card fixed)."""
        events = self.filtered(lambda e: e.state in ("failed", "ignored", "received") and e.external_id)
        events.write({"state": "received", "attempts": 0, "error": False, "next_retry_at": fields.Datetime.now()})
        events._process()
        return True

    def action_map_status(self):
        """Open a new status mapping of this event's status for its source."""
        self.ensure_one()
        return {
            "type": "ir.actions.act_window", "name": self.env._("Map Status"), "res_model": "haoka.upstream.status.map",
            "view_mode": "form", "target": "new",
            "context": {"default_source_id": self.source_id.id, "default_code": self.status_code},
        }
