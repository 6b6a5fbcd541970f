"""Waking the cron workers for webhook events: a trigger row per event in the request's own transaction, and
the notices to the cron workers throttled per process (one now, the rest of that second in one later notice)."""

import select
import time

from odoo import sql_db
from odoo.addons.haoka_distribution.models import haoka_upstream_event
from odoo.addons.haoka_distribution.tools.throttle import Throttle
from odoo.tests.common import BaseCase, TransactionCase, tagged


@tagged("post_install", "-at_install")
class TestThrottle(BaseCase):
    def test_one_go_per_interval_and_one_later_go_for_the_calls_between(self):
        throttle = Throttle(1.0)
        self.assertEqual(throttle.ask(100.0), 0, "the first call goes at once")
        self.assertAlmostEqual(throttle.ask(100.2), 0.8, msg="a call in the same second: one go later, at its end")
        self.assertIsNone(throttle.ask(100.5), "covered by the go already planned")
        self.assertIsNone(throttle.ask(100.9))
        throttle.went_later(101.0)
        self.assertAlmostEqual(throttle.ask(101.3), 0.7, msg="after the later go, the next call waits for the interval")
        throttle.went_later(102.0)
        self.assertEqual(throttle.ask(103.5), 0, "a call after a quiet interval goes at once")


@tagged("post_install", "-at_install")
class TestWakeProcessor(TransactionCase):
    def setUp(self):
        super().setUp()
        self.cron = self.env.ref("haoka_distribution.ir_cron_haoka_upstream_process")

    def triggers(self):
        return self.env["ir.cron.trigger"].search_count([("cron_id", "=", self.cron.id)])

    def test_each_event_makes_a_trigger_row_and_an_inactive_cron_none(self):
        before = self.triggers()
        Event = self.env["haoka.upstream.event"]
        Event._wake_processor()
        Event._wake_processor()
        self.assertEqual(self.triggers(), before + 2, "each event leaves a trigger row the cron finds when it runs")
        self.cron.active = False
        self.env.flush_all()
        Event._wake_processor()
        self.assertEqual(self.triggers(), before + 2, "an inactive cron gets no trigger, as ir.cron._trigger does")

    def received_notices(self, connection, seconds):
        """The cron_trigger notices naming this database received on ``connection`` within ``seconds``."""
        notices, deadline = [], time.monotonic() + seconds
        while time.monotonic() < deadline:
            if select.select([connection], [], [], 0.05)[0]:
                connection.poll()
                notices += [n.payload for n in connection.notifies if n.payload == self.env.cr.dbname]
                connection.notifies.clear()
        return notices

    def test_notices_are_throttled_and_none_is_lost(self):
        """Three events in the same instant: one notice at once, one a little later for the other two (a real
        LISTEN on the database the cron workers listen on)."""
        with sql_db.db_connect("postgres").cursor() as listener:
            listener.execute("LISTEN cron_trigger")
            listener.commit()
            connection = listener._cnx
            throttle = Throttle(0.3)
            for _event in range(3):
                haoka_upstream_event.wake_cron_workers(self.env.cr.dbname, throttle)
            self.assertEqual(len(self.received_notices(connection, 0.15)), 1, "one notice at once")
            self.assertEqual(len(self.received_notices(connection, 3.0)), 1, "one later notice for the two others")
            listener.execute("UNLISTEN cron_trigger")
            listener.commit()
