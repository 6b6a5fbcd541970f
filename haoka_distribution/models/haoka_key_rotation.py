"""Rotation of the encryption key (issue 16 §2): every secret of every model using ``haoka.secret.mixin``
(found at run time) is re-encrypted with a new key, in batches committed one by one, so that a crash loses
at most one batch and the rotation resumes where it stopped; then every value is verified against the new
key, and only then does the new key replace the old one (the key files live outside the database, see
``tools/secrets.py``). Until then both keys read values and searches match both keys' hashes."""

import logging
import time

from odoo import api, fields, models
from odoo.exceptions import UserError
from odoo.tools import SQL

from ..tools import secrets

_logger = logging.getLogger(__name__)


class HaokaKeyRotation(models.Model):
    _name = "haoka.key.rotation"
    _description = "Encryption Key Rotation"
    _order = "id desc"

    name = fields.Char(compute="_compute_name")
    state = fields.Selection(
        [("running", "Running"), ("done", "Done"), ("failed", "Failed")], default="running", required=True,
        readonly=True,
    )
    key_id = fields.Char(string="New Key Id", readonly=True, help="The public id of the new key (not the key).")
    old_key_id = fields.Char(string="Old Key Id", readonly=True)
    batch_size = fields.Integer(default=1000, required=True)
    line_ids = fields.One2many("haoka.key.rotation.line", "rotation_id", string="Progress per Model", readonly=True)
    records_done = fields.Integer(compute="_compute_totals", string="Records Re-encrypted")
    unreadable = fields.Integer(
        compute="_compute_totals", string="Unreadable Values",
        help="Values no key of the ring decrypts (made with a lost key): left as they were.",
    )
    date_done = fields.Datetime(string="Finished On", readonly=True)
    message = fields.Text(readonly=True)

    @api.depends("key_id", "create_date")
    def _compute_name(self):
        for rotation in self:
            rotation.name = self.env._("Key rotation to %(key)s", key=rotation.key_id or "?")

    @api.depends("line_ids.records_done", "line_ids.unreadable")
    def _compute_totals(self):
        for rotation in self:
            rotation.records_done = sum(rotation.line_ids.mapped("records_done"))
            rotation.unreadable = sum(rotation.line_ids.mapped("unreadable"))

    # ------------------------------------------------------------------ starting

    @api.model
    def _secret_models(self):
        """The models keeping secrets through the mixin (stored tables only), by name."""
        mixin = self.env.registry["haoka.secret.mixin"]
        return sorted(
            name for name, model in self.env.registry.items()
            if issubclass(model, mixin) and not model._abstract and not model._transient and model._haoka_secrets
        )

    @api.model
    def action_start(self, batch_size=1000):
        """Create the next key (or take the configured one) and a rotation record, and trigger the job."""
        self._check_system()
        if self.search_count([("state", "=", "running")]):
            raise UserError(self.env._("A key rotation is already running: resume it instead."))
        old_key = secrets.ring()[-1]
        try:
            new_key = secrets.begin_rotation()
        except secrets.KeyRingError as error:
            raise UserError(self.env._("The key cannot be rotated: %(reason)s.", reason=error)) from error
        rotation = self.create({
            "key_id": new_key.key_id, "old_key_id": old_key.key_id, "batch_size": batch_size,
            "line_ids": [fields.Command.create({"model_name": name}) for name in self._secret_models()],
        })
        self.env.ref("haoka_distribution.ir_cron_haoka_key_rotation")._trigger()
        return rotation

    def action_resume(self):
        self._check_system()
        self.env.ref("haoka_distribution.ir_cron_haoka_key_rotation")._trigger()

    def _check_system(self):
        if not (self.env.su or self.env.user.has_group("base.group_system")):
            raise UserError(self.env._("Only administrators (Settings rights) can rotate the encryption key."))

    # ------------------------------------------------------------------ running (the job)

    @api.model
    def _cron_run(self):
        """Run (or resume) the running rotation for at most about two minutes, then re-trigger itself so
        that no cron time limit is reached."""
        for rotation in self.search([("state", "=", "running")], order="id"):
            if not rotation._run(deadline=time.monotonic() + 120):
                self.env.ref("haoka_distribution.ir_cron_haoka_key_rotation")._trigger()

    def _run(self, deadline=None, after_batch=None):
        """Re-encrypt batch by batch (each committed), then verify and finish. ``after_batch`` is called
        after each committed batch (a test uses it to crash in the middle). Returns True when finished."""
        self.ensure_one()
        if secrets.writing_key().key_id != self.key_id:
            return self._fail(self.env._(
                "The new key %(key)s is not the writing key any more (its file was removed or replaced).",
                key=self.key_id))
        for line in self.line_ids.filtered(lambda line: not line.done):
            while not line.done:
                line._rotate_batch(self.batch_size)
                self.env.cr.commit()
                if after_batch:
                    after_batch(self)
                if deadline and time.monotonic() > deadline:
                    return False
        problems = self._verify()
        if problems:
            return self._fail(problems)
        return self._finish()

    def _verify(self):
        """Every stored value decrypts with the new key and carries the new key's hash; values written
        meanwhile with the old key (by a worker that had not seen the new key yet) are re-encrypted now.
        Returns a text of the problems, empty when everything holds."""
        problems = []
        for line in self.line_ids:
            line.write({"last_id": 0, "done": False})
            while not line.done:
                line._rotate_batch(self.batch_size, verifying=True)
            self.env.cr.commit()
            wrong = line._count_not_on_key(secrets.writing_key())
            if wrong:
                problems.append(self.env._("%(model)s: %(count)s value(s) not on the new key",
                                           model=line.model_name, count=wrong))
        return "\n".join(problems)

    def _finish(self):
        swapped = secrets.finish_rotation()
        note = False if swapped else self.env._(
            "The keys are configured: move haoka_secret_key_next into haoka_secret_key, remove "
            "haoka_secret_key_next and restart Odoo.")
        self.write({"state": "done", "date_done": fields.Datetime.now(), "message": note})
        self.env.cr.commit()
        _logger.info("key rotation %s done: %s records", self.key_id, self.records_done)
        return True

    def _fail(self, message):
        self.write({"state": "failed", "message": message})
        self.env.cr.commit()
        _logger.error("key rotation %s failed: %s", self.key_id, message)
        return True


class HaokaKeyRotationLine(models.Model):
    _name = "haoka.key.rotation.line"
    _description = "Encryption Key Rotation: Progress of One Model"
    _order = "model_name"

    rotation_id = fields.Many2one("haoka.key.rotation", required=True, ondelete="cascade", index=True)
    model_name = fields.Char(string="Model", required=True, readonly=True)
    last_id = fields.Integer(string="Last Id Done", readonly=True)
    done = fields.Boolean(readonly=True)
    records_done = fields.Integer(string="Records Re-encrypted", readonly=True)
    unreadable = fields.Integer(string="Unreadable Values", readonly=True)

    def _secret_columns(self):
        model = self.env[self.model_name]
        return model, list(model._haoka_secrets.values())

    def _rotate_batch(self, batch_size, verifying=False):
        """Re-encrypt the next ``batch_size`` records after ``last_id`` with the writing key and store their
        new hashes; records already on it keep their values (resuming is harmless)."""
        model, secret_list = self._secret_columns()
        new_key = secrets.writing_key()
        ciphers = [secret.cipher for secret in secret_list]
        self.env.flush_all()
        self.env.cr.execute(SQL(
            "SELECT id, %s FROM %s WHERE id > %s AND (%s) ORDER BY id LIMIT %s",
            SQL(", ").join(SQL.identifier(c) for c in ciphers), SQL.identifier(model._table), self.last_id,
            SQL(" OR ").join(SQL("%s IS NOT NULL", SQL.identifier(c)) for c in ciphers), batch_size,
        ))
        rows = self.env.cr.fetchall()
        updates, unreadable = [], 0
        for record_id, *tokens in rows:
            values = []
            for secret, token in zip(secret_list, tokens, strict=True):
                clear = secrets.decrypt_with(new_key, token) if token else False
                if token and clear is False:
                    clear = secrets.decrypt(token)  # the old key
                    if clear is False:
                        unreadable += 1
                        values += [token] + ([None] if secret.hash else [])
                        continue
                    token = secrets.encrypt(clear)
                values.append(token)
                if secret.hash:
                    values.append(secrets.search_hash_with(new_key, secret.normalize(clear)) if clear else None)
            updates.append((record_id, *values))
        self._store(model, secret_list, updates)
        vals = {"last_id": rows[-1][0] if rows else self.last_id, "done": len(rows) < batch_size}
        if not verifying:
            vals.update(records_done=self.records_done + len(rows), unreadable=self.unreadable + unreadable)
        self.write(vals)

    def _store(self, model, secret_list, updates):
        """One UPDATE for the batch; nothing of the clear values is written."""
        if not updates:
            return
        columns = [c for secret in secret_list for c in (secret.cipher, secret.hash) if c]
        self.env.registry.clear_cache()  # caches of ciphers (the webhook's sources), in every worker
        self.env.cr.execute_values(
            SQL("UPDATE %s AS t SET %s FROM (VALUES %%s) AS v(id, %s) WHERE t.id = v.id",
                SQL.identifier(model._table),
                SQL(", ").join(SQL("%s = v.%s", SQL.identifier(c), SQL.identifier(c)) for c in columns),
                SQL(", ").join(SQL.identifier(c) for c in columns)).code,
            updates,
            template="(%s" + ", %s::varchar" * len(columns) + ")",
        )
        model.invalidate_model(columns)

    def _count_not_on_key(self, key):
        """Stored values of this model that ``key`` does not decrypt, unreadable ones excepted."""
        model, secret_list = self._secret_columns()
        wrong = 0
        for secret in secret_list:
            self.env.cr.execute(SQL("SELECT %s FROM %s WHERE %s IS NOT NULL", SQL.identifier(secret.cipher),
                                    SQL.identifier(model._table), SQL.identifier(secret.cipher)))
            for (token,) in self.env.cr.fetchall():
                if secrets.decrypt_with(key, token) is False and secrets.decrypt(token) is not False:
                    wrong += 1
        return wrong
