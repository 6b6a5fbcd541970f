"""Large card imports as background jobs (issue 16 §3). A file with more rows than the company's threshold
(Settings, default 50,000) is not imported in the request (a worker's time limit would kill it): the import
wizard queues a job and a cron job imports it with the wizard's own code, in one transaction (all or
nothing), reporting its progress and reading a cancel request on connections of its own; the user finds the
result (cards imported, the error report) on the job afterwards and is notified when it ends.

The job's result is written in the import's own transaction: the cards and the result are committed together
or not at all. A job left "running" by a process that died (killed by a time limit, a server stop) is
found by the next run of the cron job (:meth:`HaokaCardImportJob._fail_interrupted`): its runner held a
PostgreSQL advisory lock on the job, released when its connection closed; nothing of it was committed, and the
job is marked failed with a message saying so. The file is kept encrypted through ``haoka.secret.mixin``, so
that a key rotation re-encrypts the files of queued jobs too."""

import base64
import logging

from odoo import api, fields, models
from odoo.exceptions import UserError

from ..tools import import_size
from .haoka_secret_mixin import Secret

_logger = logging.getLogger(__name__)
DEFAULT_BACKGROUND_ROWS = 50_000
#: first key of the PostgreSQL advisory lock a job's runner holds on the job (the second is the job's id)
RUNNER_LOCK = 0x4B49  # "KI"


class ImportCancelled(UserError):
    """Raised inside a job's transaction when its user cancelled it: everything written is rolled back."""


class ResCompany(models.Model):
    _inherit = "res.company"

    haoka_background_import_rows = fields.Integer(
        string="Background Import Above (rows)", default=DEFAULT_BACKGROUND_ROWS,
        help="Card files with more rows are imported in the background (0: never).",
    )


class HaokaCardImportJob(models.Model):
    _name = "haoka.card.import.job"
    _inherit = ["haoka.secret.mixin"]
    _description = "Background Card Import"
    _order = "id desc"
    #: the queued file (it holds PUK/PIN codes): encrypted, and re-encrypted by a key rotation
    _haoka_secrets = {"file": Secret(cipher="file_cipher")}

    name = fields.Char(string="File", readonly=True)
    user_id = fields.Many2one("res.users", string="Started By", required=True, readonly=True,
                              default=lambda self: self.env.user, index=True)
    company_id = fields.Many2one("res.company", required=True, readonly=True, default=lambda self: self.env.company)
    # the file holds PUK/PIN codes: kept encrypted, as the wizard keeps it, and dropped once imported
    file_cipher = fields.Text(string="Encrypted File", copy=False, readonly=True, groups="base.group_system")
    file = fields.Char(string="File Content", compute="_compute_haoka_secret_masks")
    plan_id = fields.Many2one("product.template", string="Default Plan", readonly=True)
    location_id = fields.Many2one("stock.location", string="Receive Into", required=True, readonly=True)
    mode = fields.Selection([("all_or_nothing", "All or nothing"), ("valid_only", "Import the valid rows")],
                            required=True, readonly=True, default="all_or_nothing")
    update_existing = fields.Boolean(string="Update Existing Cards", readonly=True)
    state = fields.Selection(
        [("queued", "Queued"), ("running", "Running"), ("done", "Done"), ("failed", "Failed"),
         ("cancelled", "Cancelled")], default="queued", required=True, readonly=True, index=True,
    )
    cancel_requested = fields.Boolean(readonly=True)
    estimated_rows = fields.Integer(string="Rows (about)", readonly=True)
    progress_done = fields.Integer(string="Cards Written", readonly=True)
    progress_total = fields.Integer(string="Cards to Write", readonly=True)
    progress = fields.Float(compute="_compute_progress", string="Progress (%)")
    imported_count = fields.Integer(string="Imported", readonly=True)
    updated_count = fields.Integer(string="Updated", readonly=True)
    error_count = fields.Integer(string="Errors", readonly=True)
    error_report = fields.Binary(readonly=True, attachment=True)
    error_report_name = fields.Char(readonly=True)
    picking_ids = fields.Many2many("stock.picking", string="Receipts", readonly=True)
    date_started = fields.Datetime(string="Started On", readonly=True)
    date_done = fields.Datetime(string="Finished On", readonly=True)
    message = fields.Text(readonly=True)

    @api.depends("progress_done", "progress_total", "state")
    def _compute_progress(self):
        for job in self:
            if job.state == "done":
                job.progress = 100.0
            else:
                job.progress = 100.0 * job.progress_done / job.progress_total if job.progress_total else 0.0

    # ------------------------------------------------------------------ from the wizard

    @api.model
    def _start_if_large(self, wizard):
        """Queue ``wizard``'s file as a job when it has more rows than the company's threshold; returns the
        action showing the job, or None (then the wizard imports in the request)."""
        threshold = wizard.env.company.haoka_background_import_rows
        if threshold <= 0 or not wizard.file_cipher:
            return None
        rows = import_size.estimate_rows(base64.b64decode(wizard.file), wizard.filename or "")
        if rows <= threshold:
            return None
        job = self.sudo().create({
            "name": wizard.filename, "user_id": self.env.uid, "company_id": wizard.env.company.id,
            "file_cipher": wizard.file_cipher, "plan_id": wizard.plan_id.id, "location_id": wizard.location_id.id,
            "mode": wizard.mode, "update_existing": wizard.update_existing, "estimated_rows": rows,
        })
        wizard.file_cipher = False  # the job keeps the only copy
        self.env.ref("haoka_distribution.ir_cron_haoka_card_import_job")._trigger()
        return job.with_env(self.env)._action_open()

    def _action_open(self):
        return {"type": "ir.actions.act_window", "res_model": self._name, "res_id": self.id, "view_mode": "form",
                "target": "current", "name": self.env._("Background Card Import")}

    def action_cancel(self):
        """A queued job is cancelled at once; a running one rolls back at its next progress report."""
        for job in self:
            if job.state == "queued":
                job.sudo().write({"state": "cancelled", "cancel_requested": True, "file_cipher": False,
                                  "date_done": fields.Datetime.now()})
            elif job.state == "running":
                job.sudo().cancel_requested = True

    def action_download_errors(self):
        self.ensure_one()
        return {"type": "ir.actions.act_url", "target": "self",
                "url": "/web/content?model=%s&id=%s&field=error_report&filename_field=error_report_name&download=true"
                % (self._name, self.id)}

    # ------------------------------------------------------------------ the job

    @api.model
    def _cron_run(self):
        """Fail the jobs left running by a dead process, then run the queued jobs one after the other."""
        self._fail_interrupted()
        while True:
            self.env.cr.execute("SELECT id FROM haoka_card_import_job WHERE state = 'queued' ORDER BY id LIMIT 1 "
                                "FOR UPDATE SKIP LOCKED")
            row = self.env.cr.fetchone()
            if not row:
                return
            job = self.browse(row[0])
            self.env.cr.execute("SELECT pg_advisory_lock(%s, %s)", (RUNNER_LOCK, job.id))
            try:
                job.write({"state": "running", "date_started": fields.Datetime.now()})
                self.env.cr.commit()
                job._run_and_commit()
            except BaseException:
                self.env.cr.rollback()  # the lock can be released, and nothing of the job stays written
                raise
            finally:
                self.env.cr.execute("SELECT pg_advisory_unlock(%s, %s)", (RUNNER_LOCK, job.id))
            job._notify_user()
            self.env.cr.commit()

    def _run_and_commit(self):
        """Import the job's file and write its result in one transaction, committed at once: the cards and
        the result land together. The transaction reads committed rows (READ COMMITTED): the job's row was
        updated meanwhile by the progress reports and a cancel request (other connections, committed),
        which a repeatable-read transaction could not update after them."""
        self.env.cr.execute("SET TRANSACTION ISOLATION LEVEL READ COMMITTED")
        values = self._run_job()
        self.invalidate_recordset()
        self.write(dict(values, date_done=fields.Datetime.now()))
        self.env.cr.commit()

    @api.model
    def _fail_interrupted(self):
        """Jobs marked running whose runner is gone (its advisory lock is free: the process died, its
        connection closed) imported nothing, as the cards and the result commit together: marked failed."""
        self.env.cr.execute("SELECT id FROM haoka_card_import_job WHERE state = 'running' ORDER BY id")
        orphans = []
        for (job_id,) in self.env.cr.fetchall():
            self.env.cr.execute("SELECT pg_try_advisory_lock(%s, %s)", (RUNNER_LOCK, job_id))
            if self.env.cr.fetchone()[0]:
                orphans.append(job_id)
        if not orphans:
            return
        try:
            self.env.cr.commit()  # read again after the locks: a job its runner finished meanwhile is done
            jobs = self.browse(orphans).filtered(lambda job: job.state == "running")
            jobs.write({
                "state": "failed", "file_cipher": False, "date_done": fields.Datetime.now(),
                "message": self.env._("Interrupted (the server stopped while it ran): nothing was imported. "
                                      "Start the import again."),
            })
            self.env.cr.commit()
            _logger.warning("background card imports %s were interrupted: marked failed", jobs.ids)
        finally:
            for job_id in orphans:
                self.env.cr.execute("SELECT pg_advisory_unlock(%s, %s)", (RUNNER_LOCK, job_id))

    def _run_job(self):
        """Import the file with the wizard's code under the job's user and company; everything it writes is
        undone (a savepoint) when it fails or is cancelled. Returns the job's values to write."""
        self.ensure_one()
        job = self.sudo()
        Wizard = self.env["haoka.card.import"].with_user(job.user_id).with_company(job.company_id).with_context(
            haoka_import_job_id=job.id, allowed_company_ids=[job.company_id.id])
        done = {"file_cipher": False}
        try:
            with self.env.cr.savepoint():
                wizard = Wizard.create({
                    "file_cipher": job.file_cipher, "filename": job.name, "plan_id": job.plan_id.id,
                    "location_id": job.location_id.id, "mode": job.mode, "update_existing": job.update_existing,
                })
                job._check_cancelled()
                result = wizard.action_import()
        except ImportCancelled:
            return dict(done, state="cancelled", message=self.env._("Cancelled: nothing was imported."))
        except Exception as error:  # noqa: BLE001 - any failure is the job's result; nothing was imported
            _logger.exception("background card import %s failed", job.id)
            return dict(done, state="failed", message=self.env._("Nothing was imported: %(error)s", error=error))
        return dict(done, **self._result_values(result))

    def _result_values(self, result):
        rejected = result["errors"] and self.mode == "all_or_nothing"
        return {
            "state": "done", "imported_count": result["imported"], "updated_count": result["updated"],
            "error_count": result["errors"], "picking_ids": [fields.Command.set(result["picking_ids"])],
            "error_report": base64.b64encode(result["error_report"]) if result["error_report"] else False,
            "error_report_name": result["error_report"] and self.env._("errors %(file)s.xlsx", file=self.name),
            "message": self.env._(
                "Nothing was imported: %(errors)s error(s) in the file and the mode is 'All or nothing'. See the "
                "error report.", errors=result["errors"]) if rejected else False,
        }

    def _report_progress(self, done, total):
        """Called by the wizard after each written chunk: store the progress and read a cancel request, on a
        connection of its own (the import's transaction commits only at its end). The cancel request is read
        alone: reading it as a field would read the job's other columns too, the queued file among them (tens
        of MB for a million cards, at each of its 200 reports)."""
        with self.env.registry.cursor() as cr:
            job = self.with_env(self.env(cr=cr, su=True))
            job.write({"progress_done": done, "progress_total": total})
            cr.execute("SELECT cancel_requested FROM haoka_card_import_job WHERE id = %s", (self.id,))
            cancelled = cr.fetchone()[0]
        if cancelled:
            raise ImportCancelled(self.env._("The import was cancelled."))

    def _check_cancelled(self):
        with self.env.registry.cursor() as cr:
            cr.execute("SELECT cancel_requested FROM haoka_card_import_job WHERE id = %s", (self.id,))
            if cr.fetchone()[0]:
                raise ImportCancelled(self.env._("The import was cancelled."))

    def _notify_user(self):
        messages = {
            "done": self.env._("%(file)s: %(count)s card(s) imported, %(errors)s error(s).",
                               file=self.name, count=self.imported_count, errors=self.error_count),
            "failed": self.message, "cancelled": self.message,
        }
        self.env["bus.bus"]._sendone(self.user_id.partner_id, "simple_notification", {
            "type": "success" if self.state == "done" and not self.message else "warning",
            "title": self.env._("Background card import"), "message": messages.get(self.state) or "",
            "sticky": True,
        })
