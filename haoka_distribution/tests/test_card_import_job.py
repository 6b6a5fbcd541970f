"""Large card imports as background jobs (issue 16 §3): a file above the company's threshold is queued by the
import wizard and imported by the cron job on its own connection, all or nothing, with its progress, a cancel
request read while it runs, and the result (cards, error report) kept on the job. Committed data, as the cron
job commits; every row is removed afterwards."""

import base64
import datetime
import io
from unittest.mock import patch

from ..models.haoka_card_import_job import RUNNER_LOCK, HaokaCardImportJob
from ..tools import import_size, xlsx_stream
from ..wizards import haoka_card_import as import_wizard
from .common import HaokaCase, committed_row_counts, make_iccid, make_sim_plan, remove_plan_stock, separate_env
from .test_card_import import xlsx_bytes

FUTURE = datetime.date.today() + datetime.timedelta(days=400)
HEADER = ["ICCID", "号码", "PUK", "PIN", "套餐", "有效期"]
THRESHOLD = 10
QUIET = {"tracking_disable": True, "mail_create_nolog": True, "mail_create_nosubscribe": True}


class TestBackgroundCardImport(HaokaCase):
    def setUp(self):
        super().setUp()
        registry = self.env.registry
        self.rows_before = committed_row_counts(registry)
        with separate_env(registry) as env:
            env.cr.execute("SELECT coalesce(max(id), 0) FROM bus_bus")
            self.last_bus_id = env.cr.fetchone()[0]
            env.cr.execute("SELECT coalesce(max(id), 0) FROM haoka_card_import")
            self.last_wizard_id = env.cr.fetchone()[0]
            plan = make_sim_plan(env(context=QUIET), "Background Plan")
            self.product_id = plan.product_variant_id.id
            self.plan_id = plan.id
            self.threshold_before = env.company.haoka_background_import_rows
            self.company_id = env.company.id
            env.company.haoka_background_import_rows = THRESHOLD
        self.addCleanup(self._clean_up)

    def _clean_up(self):
        with separate_env(self.env.registry) as env:
            env["haoka.card.import.job"].search([]).unlink()
            env["haoka.card.import"].search([("id", ">", self.last_wizard_id)]).unlink()
            remove_plan_stock(env.cr, self.product_id)
            env["product.template"].browse(self.plan_id).unlink()
            env["res.company"].browse(self.company_id).haoka_background_import_rows = self.threshold_before
            cron = env.ref("haoka_distribution.ir_cron_haoka_card_import_job")
            env["ir.cron.trigger"].search([("cron_id", "=", cron.id)]).unlink()
        with separate_env(self.env.registry) as env:  # the notifications, sent once committed
            env.cr.execute("DELETE FROM bus_bus WHERE id > %s", (self.last_bus_id,))
        self.assertNoRowsLeft(self.rows_before)

    def _file(self, count, bad_row=None):
        puk = {bad_row: "12"}  # a PUK of two digits: an invalid row
        rows = [HEADER] + [
            [make_iccid("898600", 9100 + i), "1390091%04d" % i, puk.get(i, "%08d" % (91000000 + i)), "1234",
             "Background Plan", FUTURE] for i in range(count)]
        return base64.b64encode(xlsx_bytes(rows))

    def _start(self, count, bad_row=None):
        """The wizard's 导入 button on a file of ``count`` cards; returns its action."""
        with separate_env(self.env.registry) as env:
            wizard = env["haoka.card.import"].create({"file": self._file(count, bad_row), "filename": "big.xlsx"})
            return wizard.action_start_import()

    def _run_cron(self):
        with separate_env(self.env.registry) as env:
            env["haoka.card.import.job"]._cron_run()

    def _job(self, env):
        job = env["haoka.card.import.job"].search([])
        self.assertEqual(len(job), 1)
        return job

    def _cards(self, env):
        return env["stock.lot"].search([("product_id", "=", self.product_id)])

    def test_a_large_file_is_imported_in_the_background(self):
        action = self._start(30)
        self.assertEqual(action["res_model"], "haoka.card.import.job")
        with separate_env(self.env.registry) as env:
            job = self._job(env)
            self.assertEqual((job.state, job.estimated_rows, len(self._cards(env))), ("queued", 31, 0))
            self.assertEqual(action["res_id"], job.id)
            cron = env.ref("haoka_distribution.ir_cron_haoka_card_import_job")
            self.assertEqual(env["ir.cron.trigger"].search_count([("cron_id", "=", cron.id)]), 1)
            self.assertTrue(job.sudo().file_cipher)
        with patch.object(import_wizard, "STREAM_CHUNK", 5):
            self._run_cron()
        with separate_env(self.env.registry) as env:
            job = self._job(env)
            self.assertEqual((job.state, job.imported_count, job.error_count, job.progress),
                             ("done", 30, 0, 100.0))
            self.assertEqual((job.progress_done, job.progress_total), (30, 30))  # reported while it ran
            self.assertFalse(job.sudo().file_cipher)
            self.assertFalse(job.message)
            cards = self._cards(env)
            self.assertEqual(len(cards), 30)
            self.assertEqual(len(job.picking_ids), 1)
            first = cards.filtered(lambda c: c.name == make_iccid("898600", 9100))
            self.assertEqual(first.sudo()._haoka_read_secrets(["puk"])[first.id]["puk"], "91000000")
            env.cr.execute("SELECT message FROM bus_bus WHERE id > %s", (self.last_bus_id,))
            self.assertIn("30 card(s) imported", str(env.cr.fetchall()))

    def test_a_small_file_is_imported_in_the_request(self):
        action = self._start(THRESHOLD - 1)  # with its header, the threshold's number of rows: not above it
        self.assertEqual(action["res_model"], "haoka.card.import")
        with separate_env(self.env.registry) as env:
            self.assertEqual(len(self._cards(env)), THRESHOLD - 1)
            self.assertFalse(env["haoka.card.import.job"].search([]))

    def test_all_or_nothing_with_the_error_report(self):
        self._start(30, bad_row=12)
        self._run_cron()
        with separate_env(self.env.registry) as env:
            job = self._job(env)
            self.assertEqual((job.state, job.imported_count, job.error_count), ("done", 0, 1))
            self.assertIn("Nothing was imported", job.message)
            self.assertTrue(job.error_report)
            self.assertEqual(job.error_report_name, "errors big.xlsx.xlsx")
            self.assertEqual(len(self._cards(env)), 0)
            self.assertEqual(job.action_download_errors()["type"], "ir.actions.act_url")

    def test_progress_reports_do_not_read_the_queued_file(self):
        """A progress report writes the progress and reads the cancel request, not the job's other columns:
        the encrypted file (tens of MB for a million cards) was read again at each report."""
        self._start(30)
        original_report, original_execute = HaokaCardImportJob._report_progress, type(self.env.cr).execute
        reports, queries, inside = [], [], []

        def report(job, done, total):
            reports.append(done)
            inside.append(True)
            try:
                return original_report(job, done, total)
            finally:
                inside.pop()

        def recording(cr, query, params=None, log_exceptions=True):
            if inside:
                queries.append(str(query))
            return original_execute(cr, query, params, log_exceptions)

        with patch.object(import_wizard, "STREAM_CHUNK", 5), \
                patch.object(HaokaCardImportJob, "_report_progress", report), \
                patch.object(type(self.env.cr), "execute", recording):
            self._run_cron()
        with separate_env(self.env.registry) as env:
            self.assertEqual((self._job(env).state, self._job(env).imported_count), ("done", 30))
        self.assertGreater(len(reports), 3)
        self.assertTrue(any("cancel_requested" in query for query in queries), queries)
        self.assertEqual([query for query in queries if "file_cipher" in query], [])

    def test_cancelled_while_running_keeps_nothing(self):
        self._start(30)
        original = HaokaCardImportJob._report_progress
        registry = self.env.registry

        def cancel_then_report(job, done, total):
            """The user presses Cancel (in a request of their own) right after the first chunk."""
            with separate_env(registry) as env:
                env["haoka.card.import.job"].browse(job.id).action_cancel()
            return original(job, done, total)

        with patch.object(import_wizard, "STREAM_CHUNK", 5), \
                patch.object(HaokaCardImportJob, "_report_progress", cancel_then_report):
            self._run_cron()
        with separate_env(self.env.registry) as env:
            job = self._job(env)
            self.assertEqual((job.state, job.imported_count), ("cancelled", 0))
            self.assertTrue(job.cancel_requested)
            self.assertEqual(job.progress_done, 1)  # the first (small) chunk was written, then rolled back
            self.assertEqual(len(self._cards(env)), 0)
            self.assertFalse(env["stock.picking"].search([("origin", "like", "big.xlsx")]))

    def test_cancelled_while_queued(self):
        self._start(30)
        with separate_env(self.env.registry) as env:
            self._job(env).action_cancel()
        self._run_cron()
        with separate_env(self.env.registry) as env:
            job = self._job(env)
            self.assertEqual((job.state, job.date_started), ("cancelled", False))
            self.assertFalse(job.sudo().file_cipher)
            self.assertEqual(len(self._cards(env)), 0)

    def test_the_cards_and_the_result_commit_together(self):
        """A crash after the cards are written and before the job's result is committed (here: writing the
        result fails) leaves no card; the job, left running by its dead runner, is failed by the next run."""
        self._start(30)
        original = HaokaCardImportJob.write

        def crash_on_result(job, vals):
            if "imported_count" in vals:
                raise RuntimeError("injected crash before the result is committed")
            return original(job, vals)

        with patch.object(HaokaCardImportJob, "write", crash_on_result), \
                self.assertRaisesRegex(RuntimeError, "injected crash"):
            self._run_cron()
        with separate_env(self.env.registry) as env:
            job = self._job(env)
            self.assertEqual((job.state, len(self._cards(env))), ("running", 0))
            self.assertFalse(env["stock.picking"].search([("origin", "like", "big.xlsx")]))
        self._run_cron()  # its runner is gone: nothing was imported, the job says so
        with separate_env(self.env.registry) as env:
            job = self._job(env)
            self.assertEqual((job.state, job.imported_count, len(self._cards(env))), ("failed", 0, 0))
            self.assertIn("Interrupted", job.message)
            self.assertFalse(job.sudo().file_cipher)

    def test_a_job_whose_runner_is_alive_stays_running(self):
        """A running job whose runner holds its lock (another process, at work) is left to it."""
        self._start(30)
        with separate_env(self.env.registry) as env:
            job = self._job(env)
            job.write({"state": "running"})
            job_id = job.id
        runner = self.env.registry._db.cursor()  # the runner's connection, holding the job's lock
        try:
            runner.execute("SELECT pg_advisory_lock(%s, %s)", (RUNNER_LOCK, job_id))
            self._run_cron()
            with separate_env(self.env.registry) as env:
                self.assertEqual(self._job(env).state, "running")
        finally:
            runner.execute("SELECT pg_advisory_unlock(%s, %s)", (RUNNER_LOCK, job_id))
            runner.close()
        self._run_cron()
        with separate_env(self.env.registry) as env:
            self.assertEqual(self._job(env).state, "failed")



class TestBackgroundImportParts(HaokaCase):
    """Apart from the class above: these write the company in the test's transaction, which its committed
    clean-up also writes."""

    def test_rows_are_counted_without_reading_the_cells(self):
        rows = [HEADER] + [[make_iccid("898600", i), "", "", "", "", ""] for i in range(25)]
        self.assertEqual(import_size.estimate_rows(xlsx_bytes(rows), "cards.xlsx"), 26)
        self.assertEqual(import_size.estimate_rows(b"ICCID\n1\n2\n3", "cards.csv"), 4)
        self.assertEqual(import_size.estimate_rows(b"ICCID\n1\n2\n", "cards.csv"), 3)
        self.assertEqual(import_size.estimate_rows(b"PK\x03\x04 not a workbook", "cards.xlsx"), 0)
        self.assertEqual(import_size.estimate_rows(b"", "cards.xlsx"), 0)
        streamed = io.BytesIO()  # a sheet without <dimension> (e.g. the card export's)
        with xlsx_stream.StreamingXlsx(streamed, "cards") as book:
            for row in rows:
                book.row(row)
        self.assertEqual(import_size.estimate_rows(streamed.getvalue(), "cards.xlsx"), 26)

    def test_the_threshold_is_a_company_setting(self):
        settings = self.env["res.config.settings"].create({})
        self.assertEqual(settings.haoka_background_import_rows, 50_000)
        settings.haoka_background_import_rows = 200_000
        settings.execute()
        self.assertEqual(self.env.company.haoka_background_import_rows, 200_000)
