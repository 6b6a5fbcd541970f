"""The upstream inbox: status mapping as data, idempotency, dead letters and replay, card swaps, events out
of order, commission triggers fired once, the dashboard, and who may see sources and events."""

import json
import re
import threading
import time
import uuid
from datetime import timedelta
from unittest.mock import patch

import psycopg2
from dateutil.relativedelta import relativedelta

from odoo import fields
from odoo.exceptions import AccessError
from odoo.tests import TransactionCase, tagged
from odoo.tools import SQL

from .common import CarrierEventCase, HaokaCase, committed_row_counts, separate_env


@tagged("post_install", "-at_install")
class UpstreamCase(CarrierEventCase):
    card_serial = 800
    card_count = 8
    msisdn_format = "1380070%04d"
    id_prefix = "6"
    tracking_prefix = "SF-U"

    @classmethod
    def setUpClass(cls):
        super().setUpClass()
        cls.source = cls.env["haoka.upstream"].create({
            "name": "号易", "code": "haoy", "secret": "top-secret-key", "expected_interval_hours": 2,
            "status_map_ids": [fields.Command.create({"code": code, "event": event}) for code, event in [
                ("8", "activated"), ("已激活", "activated"), ("FC", "first_topup"), ("在网", "in_service"),
                ("停机", "suspended"), ("销户", "closed"), ("6", "rejected"), ("3", "ignored")]],
        })
        cls.Event = cls.env["haoka.upstream.event"]

    def receive(self, external_id, source=None, **values):
        """Store one event as the webhook does; returns the event (or an empty record for a duplicate)."""
        event_id = self.Event._store_raw(source or self.source, external_id,
                                         json.dumps(dict(values, event_id=external_id), ensure_ascii=False))
        return self.Event.browse(event_id) if event_id else self.Event

    def process(self):
        self.Event.invalidate_model()
        return self.Event._cron_process()


class TestUpstreamEvents(UpstreamCase):
    def test_activation_updates_card_order_and_commission(self):
        order = self.shipped_order()
        card = order.order_line.haoka_lot_ids
        event = self.receive("E1", iccid=card.name, status="8", date=str(self.today - relativedelta(days=1)),
                             number=card.msisdn)
        self.assertEqual(event.state, "received")
        self.assertEqual(self.process(), 1)
        self.assertEqual((event.state, event.event, event.status_code, event.lot_ids), ("processed", "activated", "8",
                                                                                         card))
        yesterday = self.today - relativedelta(days=1)
        self.assertEqual((card.card_state, card.haoka_activated_date), ("activated", yesterday))
        self.assertEqual((card.haoka_upstream_status, card.haoka_swap_suspected), ("activated", False))
        self.assertEqual(order.haoka_fulfilment_state, "activated")
        self.assertEqual(self.line(order, "activated").state, "eligible")

    def test_replay_check_reads_one_index_entry(self):
        """The replay check of each webhook request finds a signature of a source through an index of both
        (source, signature): an index of the source alone, which the planner took for a new source whose rows
        the statistics do not know yet, read all that source's events on every request."""
        other = self.env["haoka.upstream"].create({"name": "其他", "code": "other-source", "secret": "k"})
        self.Event._store_raw_many(other, [("O%d" % i, "{}") for i in range(2000)])  # the events of another source
        self.env.cr.execute("UPDATE haoka_upstream_event SET signature_digest = md5(external_id) WHERE source_id = %s",
                            [other.id])
        self.env.cr.execute("ANALYZE haoka_upstream_event")
        self.env.cr.execute("SET LOCAL enable_seqscan = off")  # the index the planner takes, whatever the rows
        self.env.cr.execute(SQL("EXPLAIN %s", self.Event._insert_raw_sql(
            self.source, "X1", "{}", digest="d" * 64, unless_seen=True)))
        plan = "\n".join(row[0] for row in self.env.cr.fetchall())
        self.assertIn("haoka_upstream_event_signature_idx", plan)
        self.assertRegex(plan, r"Index Cond: \(\(source_id = \d+\) AND \(\(?signature_digest\)?(::text)? = ")

    def test_same_event_twice_is_processed_once(self):
        order = self.shipped_order()
        card = order.order_line.haoka_lot_ids
        self.receive("E2", iccid=card.name, status="FC", amount="100", date=str(self.today))
        self.assertFalse(self.receive("E2", iccid=card.name, status="FC", amount="100", date=str(self.today)),
                         "the same external id is not stored again")
        self.assertEqual(self.Event.search_count([("source_id", "=", self.source.id), ("external_id", "=", "E2")]), 1)
        self.process()
        line = self.line(order, "first_topup")
        self.assertEqual((line.state, line.amount), ("eligible", 15))
        reached = line.write_date
        # the same report under another id (an upstream re-sending it) changes nothing
        again = self.receive("E2-bis", iccid=card.name, status="FC", amount="300", date=str(self.today))
        self.process()
        self.assertEqual(again.state, "processed")
        self.assertEqual((card.haoka_first_topup_amount, line.state, line.write_date), (100, "eligible", reached))
        self.assertEqual(len(self.line(order, "first_topup")), 1, "the trigger fired once")

    def test_unmapped_status_is_a_dead_letter_then_mapped_and_replayed(self):
        order = self.shipped_order()
        card = order.order_line.haoka_lot_ids
        event = self.receive("E3", iccid=card.name, status="3001")
        self.process()
        self.assertEqual((event.state, event.attempts, event.next_retry_at, event.is_dead_letter),
                         ("failed", 1, False, True))
        self.assertEqual(event.error, "Status 3001 of 号易 is not mapped to an event.")
        self.assertIn(event, self.Event.search([("is_dead_letter", "=", True)]))
        self.assertEqual(self.source.dead_letter_count, 1)
        self.assertEqual(self.source.activity_ids.mapped("summary"), ["Dead letters to look at"])
        action = event.action_map_status()
        self.assertEqual(action["context"], {"default_source_id": self.source.id, "default_code": "3001"})
        self.env["haoka.upstream.status.map"].with_context(action["context"]).create({"event": "activated"})
        event.action_replay()
        self.assertEqual((event.state, event.error, card.card_state), ("processed", False, "activated"))

    def test_unknown_card_and_bad_payload_are_dead_letters(self):
        unknown = self.receive("E4", iccid="89860000000000000001", status="8")
        unreadable = self.Event.browse(self.Event._store_raw(self.source, "E5", "{not json"))
        no_card = self.receive("E6", status="8")
        self.process()
        self.assertEqual(unknown.error, "No card 89860000000000000001 is known (cards named by ICCID).")
        self.assertTrue(unreadable.error.startswith("The payload is not readable"), unreadable.error)
        self.assertEqual(no_card.error, "The event names no card.")
        self.assertEqual((unknown | unreadable | no_card).mapped("is_dead_letter"), [True] * 3)

    def test_event_before_shipping_is_retried_with_backoff(self):
        order = self.shipped_order(ship=False)
        card = order.order_line.haoka_lot_ids
        event = self.receive("E7", iccid=card.name, status="8")
        self.process()
        self.assertEqual((event.state, event.attempts, event.is_dead_letter), ("failed", 1, False))
        self.assertAlmostEqual(event.next_retry_at, fields.Datetime.now() + timedelta(minutes=1),
                               delta=timedelta(seconds=30))
        self.assertEqual(self.process(), 0, "not due yet")
        order._haoka_ship(self.env.ref("haoka_distribution.courier_sf"), "SF-LATE")
        event.next_retry_at = fields.Datetime.now() - timedelta(seconds=1)
        self.assertEqual(self.process(), 1)
        self.assertEqual((event.state, card.card_state), ("processed", "activated"))

    def test_retries_end_in_a_dead_letter(self):
        order = self.shipped_order(ship=False)
        event = self.receive("E8", iccid=order.order_line.haoka_lot_ids.name, status="8")
        for attempt in range(1, 6):
            event.next_retry_at = fields.Datetime.now() - timedelta(seconds=1)
            self.process()
            self.assertEqual(event.attempts, attempt)
        self.assertEqual((event.state, event.next_retry_at, event.is_dead_letter), ("failed", False, True))

    def test_card_swap_is_flagged(self):
        order = self.shipped_order()
        card = order.order_line.haoka_lot_ids
        self.receive("E9", iccid=card.name, status="已激活", number="+86 139 0000 1111")
        self.process()
        self.assertEqual((card.haoka_swap_suspected, card.haoka_reported_msisdn), (True, "13900001111"))
        self.assertEqual(order.activity_ids.mapped("summary"), ["Card swapped?"])
        self.assertIn("activated with 13900001111", " ".join(order.message_ids.mapped("body")))

    def test_top_up_before_activation(self):
        """The carrier's top-up arrives first: the card counts as activated on the top-up day; the activation
        arriving later with its own, earlier date moves the activation back."""
        order = self.shipped_order()
        card = order.order_line.haoka_lot_ids
        self.receive("E10", iccid=card.name, status="FC", amount="100", date=str(self.today))
        self.process()
        self.assertEqual((card.haoka_activated_date, card.haoka_first_topup_amount), (self.today, 100))
        self.assertEqual(self.line(order, "activated").state, "eligible")
        self.assertEqual(self.line(order, "first_topup").state, "eligible")
        event = self.receive("E11", iccid=card.name, status="8", date=str(self.today - relativedelta(days=2)))
        self.process()
        self.assertEqual((event.state, card.haoka_activated_date), ("processed", self.today - relativedelta(days=2)))

    def test_closure_before_activation_waits_then_closes(self):
        order = self.shipped_order()
        card = order.order_line.haoka_lot_ids
        closure = self.receive("E12", iccid=card.name, status="销户", date=str(self.today))
        self.process()
        self.assertEqual((closure.state, closure.is_dead_letter), ("failed", False))
        self.assertIn("closed before any activation", closure.error)
        self.receive("E13", iccid=card.name, status="8", date=str(self.today - relativedelta(days=3)))
        self.process()
        closure.next_retry_at = fields.Datetime.now() - timedelta(seconds=1)
        self.process()
        self.assertEqual((closure.state, card.haoka_closed_date), ("processed", self.today))

    def test_suspension_rejection_and_ignored(self):
        order = self.shipped_order()
        card = order.order_line.haoka_lot_ids
        suspended = self.receive("E14", iccid=card.name, status="停机", date=str(self.today))
        ignored = self.receive("E15", iccid=card.name, status="3")
        rejected = self.receive("E16", iccid=card.name, status="6")
        self.process()
        self.assertEqual((suspended.state, ignored.state, rejected.state), ("processed", "ignored", "processed"))
        self.assertEqual((card.haoka_suspended_date, card.haoka_upstream_status), (self.today, "rejected"))
        self.assertIn("号易 rejected the card(s) of this order.", order.message_ids.mapped("body")[0])

    def test_bulk_replay_of_dead_letters(self):
        orders = [self.shipped_order() for _i in range(2)]
        events = self.Event
        for index, order in enumerate(orders):
            events |= self.receive("E2%s" % index, iccid=order.order_line.haoka_lot_ids.name, status="ACT")
        self.process()
        self.assertEqual(events.mapped("is_dead_letter"), [True, True])
        self.source.status_map_ids = [fields.Command.create({"code": "ACT", "event": "activated"})]
        events.action_replay()
        self.assertEqual(events.mapped("state"), ["processed", "processed"])
        self.assertEqual([o.haoka_fulfilment_state for o in orders], ["activated", "activated"])


class TestUpstreamDashboardAndAccess(UpstreamCase):
    def test_dashboard_counts_lag_and_silence(self):
        order = self.shipped_order()
        card = order.order_line.haoka_lot_ids
        self.receive("D1", iccid=card.name, status="8")
        self.receive("D2", iccid=card.name, status="nope")
        self.receive("D3", iccid=card.name, status="3")
        self.process()
        waiting = self.receive("D4", iccid=card.name, status="8")
        self.env.cr.execute("UPDATE haoka_upstream_event SET received_at = received_at - interval '30 minutes' "
                            "WHERE id = %s", [waiting.id])
        self.source.invalidate_recordset()
        self.assertEqual(
            (self.source.processed_count, self.source.dead_letter_count, self.source.ignored_count,
             self.source.received_count, self.source.retry_count),
            (1, 1, 1, 1, 0))
        self.assertEqual(self.source.lag_minutes, 30)
        self.assertFalse(self.source.is_silent)
        self.env.cr.execute("UPDATE haoka_upstream_event SET received_at = received_at - interval '3 hours' "
                            "WHERE source_id = %s", [self.source.id])
        self.env.invalidate_all()
        self.assertTrue(self.source.is_silent)
        self.assertEqual(self.env["haoka.upstream"]._cron_check_silence(), 1)
        self.assertIn("No event from 号易 for more than 2 hours.", self.source.activity_ids.mapped("summary"))
        self.env["haoka.upstream"]._cron_check_silence()
        self.assertEqual(len(self.source.activity_ids.filtered(lambda a: "No event" in a.summary)), 1,
                         "one open alert at a time")

    def test_only_managers_see_sources_and_events(self):
        event = self.receive("A1", iccid="8986", status="8")
        for user in (self.staff, self.finance):
            with self.assertRaises(AccessError):
                self.source.with_user(user).read(["name"])
            with self.assertRaises(AccessError):
                event.with_user(user).read(["payload"])
            with self.assertRaises(AccessError):
                self.env["haoka.upstream"].with_user(user).create({"name": "X", "code": "x"})
        source = self.source.with_user(self.manager)
        self.assertEqual(source.secret, "********", "the secret is masked")
        self.assertEqual(source._haoka_read_secrets()[source.id]["secret"], "top-secret-key")
        with self.assertRaises(AccessError):
            self.source.with_user(self.staff)._haoka_read_secrets()
        event.with_user(self.manager).action_replay()
        self.assertEqual(event.state, "failed")

    def test_secret_is_encrypted_at_rest(self):
        self.env.cr.execute("SELECT secret_cipher FROM haoka_upstream WHERE id = %s", [self.source.id])
        cipher = self.env.cr.fetchone()[0]
        self.assertTrue(cipher)
        self.assertNotIn("top-secret-key", cipher)
        self.assertEqual(self.source._signing_secret(), "top-secret-key")


@tagged("post_install", "-at_install")
class TestUpstreamRace(TransactionCase):
    """Deliveries and processing racing on their own connections (committed data, cleaned up after)."""

    def test_same_event_delivered_and_processed_at_once(self):
        """The same event delivered twice at once (stored once), then processed by two workers at once
        (processed once), each side on its own connection.

        Long because the race is one story: set-up on committed rows, the interleaving, the check, the clean-up."""
        registry = self.env.registry
        rows_before = committed_row_counts(registry)
        code = "race-%s" % uuid.uuid4().hex[:8]
        with separate_env(registry) as env:
            env.cr.execute("SELECT COALESCE(max(id), 0) FROM bus_bus")
            last_bus_id = env.cr.fetchone()[0]
            source_id = env["haoka.upstream"].create({"name": code, "code": code, "secret": "k"}).id
        stored, processed, errors = [], [], []

        def run(barrier, action):
            try:
                with separate_env(registry) as env:
                    barrier.wait(timeout=30)
                    action(env)
            except Exception as error:  # noqa: BLE001 - a failing side is what the test reports
                errors.append(repr(error))

        def store(env):
            """As the webhook's request: retried (as Odoo retries a request) when its snapshot missed the other's
            commit."""
            for _attempt in range(3):
                try:
                    stored.append(env["haoka.upstream.event"]._store_raw(
                        env["haoka.upstream"].browse(source_id), "R1", json.dumps({"event_id": "R1", "status": "x"})))
                    env.cr.commit()
                    return
                except psycopg2.errors.SerializationFailure:
                    env.cr.rollback()

        def process(env):
            processed.append(env["haoka.upstream.event"]._cron_process())
            time.sleep(0.5)  # hold the claimed rows while the other side looks for due events

        try:
            for action in (store, process):
                barrier = threading.Barrier(2)
                threads = [threading.Thread(target=run, args=(barrier, action)) for _i in range(2)]
                for thread in threads:
                    thread.start()
                for thread in threads:
                    thread.join(timeout=120)
            with separate_env(registry) as env:
                env.cr.execute("SELECT external_id, state, attempts FROM haoka_upstream_event WHERE source_id = %s",
                               [source_id])
                rows = env.cr.fetchall()
            self.assertEqual(errors, [])
            self.assertEqual(sorted(stored, key=bool), [None, stored[0] or stored[1]],
                             "the second delivery stores nothing: %s" % stored)
            self.assertEqual(sorted(processed), [0, 1], "one worker processed the event, the other skipped it")
            self.assertEqual(rows, [("R1", "failed", 1)])
        finally:
            with separate_env(registry) as env:
                source = env["haoka.upstream"].browse(source_id)
                on_source = [("res_model", "=", "haoka.upstream"), ("res_id", "=", source_id)]
                env["mail.activity"].search(on_source).unlink()
                env["mail.followers"].search(on_source).unlink()
                env["mail.message"].search([("model", "=", "haoka.upstream"), ("res_id", "=", source_id)]).unlink()
                source.unlink()
            with separate_env(registry) as env:  # the activity's notifications, sent when the above committed
                env.cr.execute("DELETE FROM bus_bus WHERE id > %s", [last_bus_id])
        self.assertNoRowsLeft(rows_before)

    def test_same_report_imported_twice_at_once(self):
        """The same report imported by two users at once, each on its own connection: its events are stored and
        applied once. Both imports find the rows new; the second waits for the first one's rows, fails with a
        serialization error and is retried (as Odoo retries a request), then finds them all stored.

        Long because the race is one story: set-up on committed rows, the interleaving, the check, the clean-up."""
        registry = self.env.registry
        rows_before = committed_row_counts(registry)
        code = "race-file-%s" % uuid.uuid4().hex[:8]
        with separate_env(registry) as env:
            source_id = env["haoka.upstream"].create({
                "name": code, "code": code, "secret": "k",
                "status_map_ids": [fields.Command.create({"code": "3", "event": "ignored"})]}).id
        rows = [("F%d" % i, json.dumps({"iccid": "8986%016d" % i, "status": "3"})) for i in range(30)]
        Event = type(self.env["haoka.upstream.event"])
        new_file_rows = Event._new_file_rows
        barrier, new, errors = threading.Barrier(2), [], []

        def together(events, source, file_rows):
            found = new_file_rows(events, source, file_rows)
            if not getattr(threading.current_thread(), "synced", False):
                threading.current_thread().synced = True
                barrier.wait(timeout=30)  # both have found the rows new before either stores them
            return found

        def run():
            try:
                for _attempt in range(3):
                    with separate_env(registry) as env:
                        try:
                            events = env["haoka.upstream.event"]._receive_file_rows(
                                env["haoka.upstream"].browse(source_id), rows)
                            env.cr.commit()
                            new.append(len(events))
                            return
                        except psycopg2.errors.SerializationFailure:
                            env.cr.rollback()
            except Exception as error:  # noqa: BLE001 - a failing side is what the test reports
                errors.append(repr(error))

        try:
            with patch.object(Event, "_new_file_rows", together):
                threads = [threading.Thread(target=run) for _i in range(2)]
                for thread in threads:
                    thread.start()
                for thread in threads:
                    thread.join(timeout=120)
            with separate_env(registry) as env:
                env.cr.execute("SELECT count(*), count(DISTINCT external_id), array_agg(DISTINCT state) "
                               "FROM haoka_upstream_event WHERE source_id = %s", [source_id])
                stored = env.cr.fetchone()
            self.assertEqual(errors, [])
            self.assertEqual(sorted(new), [0, 30], "the retried import finds every row stored")
            self.assertEqual(stored, (30, 30, ["ignored"]))
        finally:
            with separate_env(registry) as env:
                env["haoka.upstream"].browse(source_id).unlink()
        self.assertNoRowsLeft(rows_before)

    def assertNoRowsLeft(self, before):
        HaokaCase.assertNoRowsLeft(self, before)


class TestUpstreamBatch(UpstreamCase):
    """Many events at once give what they give one by one."""

    def scenario(self):
        orders = [self.shipped_order() for _i in range(4)]
        cards = [order.order_line.haoka_lot_ids for order in orders]
        day = self.today - relativedelta(days=2)
        specs = [
            {"iccid": cards[0].name, "status": "8", "date": str(day)},
            {"iccid": cards[0].name, "status": "FC", "amount": "100", "date": str(self.today)},
            # a top-up before the activation
            {"iccid": cards[1].name, "status": "FC", "amount": "30", "date": str(day)},
            {"iccid": cards[1].name, "status": "8", "date": str(day - relativedelta(days=1))},
            {"iccid": cards[2].name, "status": "停机", "date": str(self.today)},
            {"iccid": cards[3].name, "status": "3"},
        ]
        type(self).sequence += 1
        events = self.Event
        for index, spec in enumerate(specs):
            events |= self.receive("B%s-%s" % (self.sequence, index), **spec)
        return orders, cards, events

    def outcome(self, orders, cards, events):
        self.env.invalidate_all()
        return (
            [(e.state, e.event, e.status_code, len(e.lot_ids)) for e in events],
            [(c.card_state, c.haoka_activated_date and (c.haoka_activated_date - self.today).days,
              c.haoka_first_topup_amount, c.haoka_suspended_date and (c.haoka_suspended_date - self.today).days,
              c.haoka_upstream_status) for c in cards],
            [o.haoka_fulfilment_state for o in orders],
            [sorted(o.haoka_commission_line_ids.mapped(lambda l: (l.trigger, l.state, l.reason_code))) for o in orders],
        )

    def test_batch_equals_one_by_one(self):
        one_by_one = self.scenario()
        one_by_one[2].with_context(haoka_upstream_batch_min=100)._process()
        batch = self.scenario()
        batch[2].with_context(haoka_upstream_batch_min=2)._process()
        self.assertEqual(self.outcome(*batch), self.outcome(*one_by_one))
        self.assertEqual(self.outcome(*batch)[0][0], ("processed", "activated", "8", 1))

    def test_batch_with_a_bad_event_falls_back(self):
        orders, cards, events = self.scenario()
        bad = self.receive("B-bad", iccid="89860000000000000001", status="8")
        (events | bad).with_context(haoka_upstream_batch_min=2)._process()
        self.assertEqual(bad.is_dead_letter, True)
        self.assertEqual(events.mapped("state"), ["processed"] * 5 + ["ignored"])
        self.assertEqual(orders[0].haoka_fulfilment_state, "activated")


class TestUpstreamBatchSetBased(UpstreamCase):
    """What the set-based path keeps: each event's own outcome, the chatter, each trigger once."""

    scenario = TestUpstreamBatch.scenario

    def chatter(self, records):
        """Each record's messages, oldest first: body, type, subtype, author and tracking values."""
        self.env.flush_all()
        self.env.cr.precommit.run()  # Odoo's tracking messages are posted at commit
        self.env.invalidate_all()
        return [[(re.sub(r"SF-U\d+", "SF-U*", str(m.body)), m.message_type, m.subtype_id.name, m.author_id.name,
                  [(t.field_id.name, t.old_value_char, t.new_value_char, t.old_value_datetime, t.new_value_datetime)
                   for t in m.tracking_value_ids.sorted("id")])
                 for m in record.message_ids.sorted("id")] for record in records]

    def test_mixed_batch_good_set_based_bad_one_by_one_with_their_own_errors(self):
        orders, cards, events = self.scenario()
        swapped = self.shipped_order()
        unknown = self.receive("M-unknown", iccid="89860000000000000001", status="8")
        unmapped = self.receive("M-unmapped", iccid=cards[3].name, status="3001")
        unreadable = self.Event.browse(self.Event._store_raw(self.source, "M-unreadable", "{not json"))
        swap = self.receive("M-swap", iccid=swapped.order_line.haoka_lot_ids.name, status="8", number="13900000000")
        batch = events | unknown | unmapped | unreadable | swap
        with self.env.cr.savepoint():
            left = batch._process_batch()
        self.assertEqual(left, unknown | unmapped | unreadable | swap, "only these are left for one by one")
        self.assertEqual(events.mapped("state"), ["processed"] * 5 + ["ignored"])
        self.assertEqual(unknown.state, "received")
        batch.invalidate_recordset()
        (events | left).with_context(haoka_upstream_batch_min=2)._process()
        self.assertEqual([(e.state, e.is_dead_letter, e.error) for e in (unknown, unmapped, unreadable)], [
            ("failed", True, "No card 89860000000000000001 is known (cards named by ICCID)."),
            ("failed", True, "Status 3001 of 号易 is not mapped to an event."),
            ("failed", True, unreadable.error),
        ])
        self.assertRegex(unreadable.error, "^The payload is not readable")
        self.assertEqual((swap.state, swapped.order_line.haoka_lot_ids.haoka_swap_suspected), ("processed", True))
        self.assertEqual(orders[0].haoka_fulfilment_state, "activated")

    def test_events_of_a_card_with_a_bad_event_stay_in_order_one_by_one(self):
        order = self.shipped_order()
        card = order.order_line.haoka_lot_ids
        events = self.receive("O-1", iccid=card.name, status="8", number="13900000001") | \
            self.receive("O-2", iccid=card.name, status="FC", amount="50", date=str(self.today))
        others = [self.shipped_order() for _i in range(2)]
        for index, other in enumerate(others):
            events |= self.receive("O-3-%s" % index, iccid=other.order_line.haoka_lot_ids.name, status="8")
        with self.env.cr.savepoint():
            left = events._process_batch()
        self.assertEqual(left, events[:2], "the top-up of the swapped card waits for its activation")
        self.assertEqual([o.haoka_fulfilment_state for o in others], ["activated", "activated"])

    def test_chatter_of_orders_is_the_one_by_one_chatter(self):
        """The orders' tracking messages, created in bulk by the set-based path, are those Odoo posts one by one:
        the note, then the fulfilment state's tracking. (Cards keep what each path gave them before: Odoo's
        tracking when one card changes, none when thousands change at once.)"""
        self.maxDiff = None
        one_by_one = self.scenario()
        one_by_one[2].with_context(haoka_upstream_batch_min=100, tracking_disable=False)._process()
        expected = self.chatter(one_by_one[0])
        batch = self.scenario()
        batch[2].with_context(haoka_upstream_batch_min=2, tracking_disable=False)._process()
        self.assertEqual(self.chatter(batch[0]), expected)
        self.assertEqual(expected[0][-2:], [
            ("<p>The carrier reports all 1 card(s) activated.</p>", "notification", "Note", self.env.user.name, []),
            ("", "notification", "Note", self.env.user.name, [("haoka_fulfilment_state", "Shipped", "Activated",
                                                                 False, False)]),
        ])

    def test_commission_triggers_fire_once_however_often_the_batch_repeats(self):
        orders = [self.shipped_order() for _i in range(3)]
        cards = [order.order_line.haoka_lot_ids for order in orders]

        def report(prefix):
            events = self.Event
            for index, card in enumerate(cards):
                events |= self.receive("%s-%s" % (prefix, index), iccid=card.name, status="8",
                                       date=str(self.today - relativedelta(days=1)))
            events.with_context(haoka_upstream_batch_min=2)._process()
            self.env.flush_all()
            return events

        self.assertEqual(report("T1").mapped("state"), ["processed"] * 3)
        lines = self.env["haoka.commission.line"].search([("order_id", "in", [o.id for o in orders]),
                                                          ("trigger", "=", "activated")])
        self.assertEqual(len(lines), 3)
        before = [(line.state, line.reached_date, line.write_date) for line in lines]
        self.assertEqual({state for state, *_rest in before}, {"eligible"})
        self.assertEqual(report("T2").mapped("state"), ["processed"] * 3)
        self.env.invalidate_all()
        self.assertEqual([(line.state, line.reached_date, line.write_date) for line in lines], before)
        self.assertEqual(self.env["haoka.commission.line"].search_count([
            ("order_id", "in", [o.id for o in orders]), ("trigger", "=", "activated")]), 3)


class TestUpstreamCompanies(UpstreamCase):
    def test_sources_and_events_of_another_company_are_hidden(self):
        other = self.env["res.company"].create({"name": "Other SIM Co"})
        foreign = self.env["haoka.upstream"].create({"name": "Foreign", "code": "foreign", "company_id": other.id})
        foreign_event = self.Event.browse(self.Event._store_raw(foreign, "F1", "{}"))
        own_event = self.receive("O1", status="3")
        manager = self.manager.with_company(self.env.company)
        self.assertEqual(self.env["haoka.upstream"].with_user(manager).search([("code", "in", ("foreign", "haoy"))]),
                         self.source)
        self.assertEqual(self.Event.with_user(manager).search([("id", "in", (foreign_event | own_event).ids)]),
                         own_event)
