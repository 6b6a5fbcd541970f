"""Secrets kept encrypted in the database: card PUK/PIN, holders' and distributors' ID numbers.

The pattern, for every secret field ``x`` of a model inheriting ``haoka.secret.mixin``:

- a **cipher column** (``x_cipher``, AES-GCM by :mod:`..tools.secrets`, key outside the database), readable only
  by the manager group (``groups=MANAGER_GROUP``);
- a **search hash** column (keyed HMAC) when the secret must be found by its exact value, same group;
- the **masked field** ``x`` itself (a non-stored ``fields.Char``) that everyone reads: a fixed mask, or the
  value with most characters hidden; writing a value into it **validates and encrypts** it (the inverse),
  writing the mask back (a form saved unchanged) changes nothing;
- a **reveal action** (``action_haoka_reveal_secrets``), allowed to the manager group only, that shows the clear
  values in a notification (never stored, never in a field) and logs who revealed them in the chatter.

A model declares its secrets in ``_haoka_secrets`` (masked field name -> :class:`Secret`) and its fields with
``compute="_compute_haoka_secret_masks"``; Odoo calls inverse and search methods without telling which field
they serve, so each secret field names a one-line inverse (and search) method that passes its name on::

    _haoka_secrets = {"puk": Secret(cipher="puk_cipher", hash="puk_hash", normalize=sim.normalize_code,
                                    valid=PUK_RE.match, label=_lt("PUK (8 digits)"), mask="********")}
    puk = fields.Char(compute="_compute_haoka_secret_masks", inverse="_inverse_puk", search="_search_puk")

    def _inverse_puk(self):
        self._haoka_write_secret("puk")

    def _search_puk(self, operator, value):
        return self._haoka_search_secret("puk", operator, value)
"""

from collections.abc import Callable
from dataclasses import dataclass

from odoo import api, models
from odoo.exceptions import AccessError, UserError, ValidationError
from odoo.tools.translate import LazyGettext, LazyTranslate

from ..tools import secrets
from ..tools.groups import MANAGER_GROUP

_lt = LazyTranslate(__name__)


@dataclass(frozen=True)
class Secret:
    """How one secret field is kept (see the module's docstring).

    :param cipher: the encrypted column
    :param hash: the search-hash column, or None when the secret is never searched
    :param normalize: cleans an entered (or searched) value before anything else
    :param valid: accepts a normalized value; None accepts any (checked later, e.g. by the compliance check)
    :param invalid: the error when ``valid`` refuses, with ``%(label)s``, ``%(name)s`` (the record's name) and
        ``%(masked)s`` (the refused value, masked)
    :param label: the secret's name in ``invalid``; None: the field's label
    :param mask: a fixed text shown whenever a value is stored (nothing is decrypted to show it: card codes),
        or a function of the clear value (ID numbers keep their region and last characters visible)
    """

    cipher: str
    hash: str | None = None
    normalize: Callable[[str], str] = str.strip
    valid: Callable[[str], object] | None = None
    invalid: LazyGettext = _lt("%(label)s of %(name)s is not valid.")
    label: LazyGettext | None = None
    mask: str | Callable[[str], str] = "********"

    def shown(self, cipher):
        """What everyone reads for a stored ``cipher``."""
        if not cipher:
            return False
        if isinstance(self.mask, str):
            return self.mask
        return self.mask(secrets.decrypt(cipher)) or False

    def is_mask(self, value):
        """True when ``value`` is a mask that came back from a form, not a new value."""
        return value == self.mask if isinstance(self.mask, str) else "*" in value


class HaokaSecretMixin(models.AbstractModel):
    _name = "haoka.secret.mixin"
    _description = "Encrypted Fields (masked, searchable by hash, audited reveal)"

    #: masked field name -> :class:`Secret`, declared by each model
    _haoka_secrets = {}

    # ------------------------------------------------------------------ the masked fields

    def _compute_haoka_secret_masks(self):
        for record in self:
            stored = record.sudo()
            for name, secret in self._haoka_secrets.items():
                record[name] = secret.shown(stored[secret.cipher])

    def _haoka_write_secret(self, name):
        """The inverse of the masked field ``name``: validate, encrypt and hash what was entered."""
        secret = self._haoka_secrets[name]
        changed = self.browse()
        for record in self:
            value = secret.normalize(record[name]) if record[name] else False
            if value and secret.is_mask(value):
                continue  # the mask came back unchanged
            if value and secret.valid and not secret.valid(value):
                raise ValidationError(self.env._(secret.invalid) % {
                    "label": self._haoka_secret_label(name),
                    "name": record.display_name,
                    "masked": secret.mask if isinstance(secret.mask, str) else secret.mask(value),
                })
            vals = {secret.cipher: secrets.encrypt(value)}
            if secret.hash:
                vals[secret.hash] = secrets.search_hash(value)
            record.sudo().write(vals)
            changed |= record
        if changed:
            changed._haoka_secret_changed(name)

    def _haoka_secret_changed(self, name):
        """Hook: the secret ``name`` of these records was just set to a new value."""

    def _haoka_secret_label(self, name):
        secret = self._haoka_secrets[name]
        return self.env._(secret.label) if secret.label else self._fields[name]._description_string(self.env)

    @api.model_create_multi
    def create(self, vals_list):
        records = super().create(vals_list)
        records.invalidate_recordset(list(self._haoka_secrets))  # keep no clear secret in the cache
        return records

    def write(self, vals):
        result = super().write(vals)
        if set(self._haoka_secrets) & set(vals):
            self.invalidate_recordset(list(self._haoka_secrets))  # keep no clear secret in the cache
        return result

    # ------------------------------------------------------------------ managers only: search, read, reveal

    def _haoka_check_secret_access(self, names=None):
        if not (self.env.su or self.env.user.has_group(MANAGER_GROUP)):
            raise AccessError(self.env._(
                "Only SIM managers (号卡主管) can see or search %(secrets)s.",
                secrets=self._haoka_secret_labels(names),
            ))

    def _haoka_secret_labels(self, names=None):
        return "/".join(self._fields[name]._description_string(self.env) for name in names or self._haoka_secrets)

    def _haoka_search_secret(self, name, operator, value):
        """The search of the masked field ``name``: the exact value, through its keyed hash."""
        self._haoka_check_secret_access([name])
        secret = self._haoka_secrets[name]
        if operator != "=" or not value or not secret.hash:
            raise UserError(self.env._(
                "%(secret)s can only be searched by its exact value.", secret=self._haoka_secret_labels([name]),
            ))
        return [(secret.hash, "in", secrets.search_hashes(secret.normalize(value)))]  # both keys during a rotation

    def _haoka_read_secrets(self, names=None):
        """Clear values ``{record id: {name: value or False}}``, for managers (and superuser code) only.
        Does not log: server code that needs a clear value (the compliance check) calls it with sudo."""
        names = names or list(self._haoka_secrets)
        self._haoka_check_secret_access(names)
        return {
            record.id: {name: secrets.decrypt(record.sudo()[self._haoka_secrets[name].cipher]) for name in names}
            for record in self
        }

    def action_haoka_reveal_secrets(self):
        """Show the record's secrets in a notification (never stored in clear) and log the reveal in the
        chatter with the revealing user's name."""
        self.ensure_one()
        values = self._haoka_read_secrets()[self.id]
        labels = self._haoka_secret_labels()
        # the trace must not depend on the right to edit the record (a manager may not edit contacts): posted
        # as superuser, still in the revealing user's name (sudo keeps the user)
        self.sudo().message_post(
            body=self.env._("%(secrets)s revealed by %(user)s.", secrets=labels, user=self.env.user.name),
            message_type="comment",
            subtype_xmlid="mail.mt_note",
        )
        if len(values) == 1:
            message = next(iter(values.values())) or "-"
        else:
            message = "   ".join(
                "%s: %s" % (self._fields[name]._description_string(self.env), value or "-")
                for name, value in values.items()
            )
        return {
            "type": "ir.actions.client",
            "tag": "display_notification",
            "params": {
                "title": self.env._("%(secrets)s of %(record)s", secrets=labels, record=self.display_name),
                "message": message,
                "type": "warning",
                "sticky": True,
            },
        }

    @api.model
    def _haoka_fill_secret_hashes(self):
        """Compute the missing search hashes from the ciphers (a hash column added to a model that already
        holds secrets); returns the number of records filled."""
        filled = self.browse()
        for secret in self._haoka_secrets.values():
            if not secret.hash:
                continue
            for record in self.sudo().with_context(active_test=False).search(
                [(secret.cipher, "!=", False), (secret.hash, "=", False)]
            ):
                clear = secrets.decrypt(record[secret.cipher])
                if clear:  # False: made with another key, nothing to hash
                    record[secret.hash] = secrets.search_hash(secret.normalize(clear))
                    filled |= record
        return len(filled)
