"""Upstream report files (Excel/CSV): the card import's file quality (title and total rows, header aliases,
dry run, an error report naming row, column, value and reason); the same file twice changes nothing."""

import base64
import io
import json
from unittest.mock import patch

import openpyxl
from dateutil.relativedelta import relativedelta

from odoo import sql_db
from odoo.exceptions import UserError
from odoo.tests import tagged

from .test_upstream_events import UpstreamCase


@tagged("post_install", "-at_install")
class TestUpstreamReport(UpstreamCase):
    def xlsx(self, rows):
        workbook = openpyxl.Workbook()
        sheet = workbook.active
        for row in rows:
            sheet.append(row)
        buffer = io.BytesIO()
        workbook.save(buffer)
        return buffer.getvalue()

    def wizard(self, content, filename="激活报表.xlsx"):
        return self.env["haoka.upstream.report.import"].create({
            "source_id": self.source.id, "file": base64.b64encode(content), "filename": filename})

    def report_rows(self):
        first, second = (self.shipped_order(), self.shipped_order())
        self.card_a = first.order_line.haoka_lot_ids
        self.card_b = second.order_line.haoka_lot_ids
        self.orders = first | second
        day = str(self.today - relativedelta(days=1))
        return [
            ["号易 2026年11月 激活报表"],  # a title row
            [],
            ["序号", "ICCID(卡号)", "状态", "激活日期", "首充金额"],
            [1, self.card_a.name, "8", day, None],
            [2, self.card_b.name, "FC", day, 100],
            [3, "89860000000000000001", "8", day, None],  # unknown card
            [4, self.card_a.name, "3001", day, None],  # unmapped status
            [5, self.card_b.name, "8", "明天", None],  # unreadable date
            [6, self.card_a.name, "FC", day, None],  # a top-up without its amount
            ["合计", 6],  # the total row
        ]

    def test_dry_run_lists_each_bad_row_and_writes_nothing(self):
        wizard = self.wizard(self.xlsx(self.report_rows()))
        wizard.action_check()
        self.assertEqual((wizard.state, wizard.row_count, wizard.valid_count, wizard.error_count), ("checked", 6, 2, 4))
        self.assertFalse(self.env["haoka.upstream.event"].search([("source_id", "=", self.source.id)]))
        self.assertEqual(self.card_a.card_state, "shipped")
        report = openpyxl.load_workbook(io.BytesIO(base64.b64decode(wizard.error_report)))
        lines = [list(row) for row in report.active.iter_rows(values_only=True)]
        self.assertEqual(lines[0], ["Row", "Column", "Value", "Reason", "Kind"])
        self.assertEqual(lines[1:], [
            [6, "B (ICCID(卡号))", "89860000000000000001", "No such card is known.", "Error"],
            [7, "C (状态)", "3001", "This status is not mapped to an event for 号易.", "Error"],
            [8, "D (激活日期)", "明天", "The date is not readable.", "Error"],
            [9, "E (首充金额)", None, "A first top-up needs its amount.", "Error"],
        ])

    def test_import_applies_valid_rows_and_the_same_file_twice_changes_nothing(self):
        content = self.xlsx(self.report_rows())
        wizard = self.wizard(content)
        wizard.action_import()
        self.assertEqual((wizard.new_count, wizard.duplicate_count, wizard.processed_count, wizard.failed_count),
                         (2, 0, 2, 0))
        yesterday = self.today - relativedelta(days=1)
        self.assertEqual((self.card_a.haoka_activated_date, self.card_b.haoka_first_topup_amount), (yesterday, 100))
        self.assertEqual(self.orders.mapped("haoka_fulfilment_state"), ["activated", "activated"])
        events = self.env["haoka.upstream.event"].search([("source_id", "=", self.source.id)])
        self.assertEqual((events.mapped("origin"), events.mapped("state")), (["file"] * 2, ["processed"] * 2))
        lines = self.orders.haoka_commission_line_ids.filtered(lambda l: l.trigger in ("activated", "first_topup"))
        states = sorted(lines.mapped("state"))
        again = self.wizard(content, filename="激活报表 (1).xlsx")
        again.action_import()
        self.assertEqual((again.new_count, again.duplicate_count, again.processed_count), (0, 2, 0))
        self.assertEqual(self.env["haoka.upstream.event"].search_count([("source_id", "=", self.source.id)]), 2)
        self.assertEqual(sorted(lines.mapped("state")), states)

    def test_csv_in_gbk_with_the_sources_own_column_names(self):
        order = self.shipped_order()
        card = order.order_line.haoka_lot_ids
        self.source.write({"card_match": "msisdn", "key_card": "用户号码", "key_status": "订单状态"})
        text = "用户号码,订单状态,日期\n%s,已激活,%s\n" % (card.msisdn, self.today.strftime("%Y/%m/%d"))
        wizard = self.wizard(text.encode("gbk"), filename="report.csv")
        wizard.action_import()
        self.assertEqual((wizard.error_count, wizard.new_count, wizard.processed_count), (0, 1, 1))
        self.assertEqual(card.haoka_activated_date, self.today)

    def test_file_without_the_card_or_status_column(self):
        wizard = self.wizard(self.xlsx([["号码", "金额"], ["13800000000", 5]]))
        with self.assertRaisesRegex(UserError, "No header row naming the card"):
            wizard.action_check()
        with self.assertRaisesRegex(UserError, "is not a spreadsheet"):
            self.wizard(b"\x00\x01binary").action_check()

    def test_report_statements_do_not_grow_with_its_rows(self):
        """Checking and storing a report takes the same SQL statements for 2 rows as for 4 (cards looked up and
        events inserted in batches, not per row); a row twice in one file is one event, processed once."""
        orders = [self.shipped_order() for _i in range(8)]
        day = str(self.today - relativedelta(days=1))
        header = [["ICCID", "状态", "激活日期"]]
        rows = [[order.order_line.haoka_lot_ids.name, "8", day] for order in orders]

        def statements(content):
            wizard = self.wizard(self.xlsx(content))
            self.env.flush_all()
            before = sql_db.sql_counter
            valid, errors = wizard._checked_rows()
            events = self.Event._store_raw_many(self.source, [(external_id, "{}") for external_id, _p in valid])
            self.assertEqual((len(valid), errors, len(events)), (len(content) - 1, [], len(content) - 1))
            return sql_db.sql_counter - before

        statements(header + rows[:2])  # the source, its mapping and the ORM's caches read once
        self.assertEqual(statements(header + rows[2:4]), statements(header + rows[4:]))
        self.Event.search([("source_id", "=", self.source.id)]).unlink()
        wizard = self.wizard(self.xlsx(header + rows[:2] + rows[:1]))
        wizard.action_import()
        self.assertEqual((wizard.new_count, wizard.duplicate_count, wizard.processed_count), (2, 1, 2))
        self.assertEqual([o.haoka_fulfilment_state for o in orders[:3]], ["activated", "activated", "shipped"])
        self.assertEqual(len(orders[0].haoka_commission_line_ids.filtered(
            lambda l: l.trigger == "activated" and not l.clawback_of_id)), 1)


@tagged("post_install", "-at_install")
class TestUpstreamReportSetBased(UpstreamCase):
    """A report's rows that the set-based path applies are stored already processed (one write of each event):
    the same events, cards, orders and commissions as rows stored as received, then processed one by one."""

    xlsx = TestUpstreamReport.xlsx
    wizard = TestUpstreamReport.wizard

    card_serial = 900
    card_count = 14
    msisdn_format = "1380090%04d"
    id_prefix = "7"
    tracking_prefix = "SF-R"

    def import_scenario(self, batch_min, unshipped=False):
        orders = [self.shipped_order() for _i in range(5)] + [self.shipped_order(ship=not unshipped)]
        cards = [order.order_line.haoka_lot_ids for order in orders]
        day, today = str(self.today - relativedelta(days=2)), str(self.today)
        content = self.xlsx([["ICCID", "状态", "激活日期", "首充金额", "号码"],
                             [cards[0].name, "8", day, None, None],
                             [cards[0].name, "FC", today, 100, None],
                             [cards[1].name, "FC", day, 30, None],  # a top-up before the activation
                             [cards[1].name, "8", str(self.today - relativedelta(days=3)), None, None],
                             [cards[2].name, "停机", today, None, None],
                             [cards[3].name, "3", today, None, None],  # ignored
                             [cards[4].name, "8", today, None, "13912345678"],  # another number: one by one
                             [cards[5].name, "8", today, None, None],  # not shipped when unshipped: all one by one
                             [cards[0].name, "8", day, None, None]])  # the first row again: one event
        before = self.Event.search([("source_id", "=", self.source.id)])
        wizard = self.wizard(content).with_context(haoka_upstream_batch_min=batch_min)
        wizard.action_import()
        events = self.Event.search([("source_id", "=", self.source.id), ("id", "not in", before.ids)], order="id")
        return wizard, orders, cards, events

    def outcome(self, wizard, orders, cards, events):
        self.env.invalidate_all()
        stored = ["origin", "signature_verdict", "headers", "state", "event", "status_code", "attempts"]
        return (
            (wizard.new_count, wizard.duplicate_count, wizard.processed_count, wizard.failed_count),
            [tuple(event[name] for name in stored) + (
                event.error and event.error.split(":")[0],  # the error names the card
                bool(event.next_retry_at), bool(event.processed_at),
                                                      len(event.lot_ids), json.loads(event.payload)["状态"])
             for event in events.sorted(lambda e: (json.loads(e.payload)["状态"], e.payload))],
            [(c.card_state, c.haoka_activated_date, c.haoka_first_topup_amount, c.haoka_suspended_date,
              c.haoka_upstream_status, c.haoka_upstream_status_date) for c in cards],
            [o.haoka_fulfilment_state for o in orders],
            [sorted(o.haoka_commission_line_ids.mapped(
                lambda l: (l.trigger, l.state, l.reason_code, l.reached_date and l.reached_date.date())))
             for o in orders],
        )

    def test_set_based_report_equals_one_by_one(self):
        one_by_one = self.outcome(*self.import_scenario(batch_min=1000))
        written = set()
        write = type(self.Event).write

        def recording_write(events, vals):
            written.update(events.ids)
            return write(events, vals)

        with patch.object(type(self.Event), "write", recording_write):
            wizard, orders, cards, events = self.import_scenario(batch_min=2)
        set_based = self.outcome(wizard, orders, cards, events)
        self.assertEqual(set_based, one_by_one)
        self.assertEqual(set_based[0], (8, 1, 8, 0))
        self.assertEqual(cards[4].haoka_swap_suspected, True)
        # the rows applied set-based were inserted processed or ignored, never written again: only the event left
        # for one by one (another number than the card's) was
        left = events.filtered(lambda e: json.loads(e.payload)["ICCID"] == cards[4].name)
        self.assertEqual((left.state, left.event), ("processed", "activated"))
        self.assertEqual(written, set(left.ids))

    def test_report_with_a_failing_group_falls_back_to_one_by_one(self):
        """A card of the report not shipped yet fails its group: every row is then stored received and processed
        one by one, as without the set-based path."""
        one_by_one = self.outcome(*self.import_scenario(batch_min=1000, unshipped=True))
        set_based = self.outcome(*self.import_scenario(batch_min=2, unshipped=True))
        self.assertEqual(set_based, one_by_one)
        self.assertEqual(set_based[0], (8, 1, 7, 1))
