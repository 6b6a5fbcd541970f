from odoo import models


class MailThread(models.AbstractModel):
    """Odoo's field tracking for many records at once. Odoo posts the tracking message of each changed record
    one at a time when the transaction commits (``_message_track``: a message create and a tracking value create
    per record); an activation report changes thousands of orders at once. Here the same messages (same body,
    author, type, subtype and tracking values) are created with one create of messages and one of tracking
    values."""

    _inherit = "mail.thread"

    def _haoka_tracking_snapshot(self):
        """``(records, initial values)`` before a write done with ``tracking_disable``: the records whose tracking
        :meth:`_haoka_log_tracking` will post, with their tracked values now. Records whose tracking is already
        pending in this transaction are left out: write them the standard way, their one message at commit then
        covers both writes, as it would without this."""
        fnames = self._track_get_fields()
        if not fnames or self.env.context.get("tracking_disable") or self.env.context.get("mail_notrack"):
            return self.browse(), {}
        pending = self.env.cr.precommit.data.get(f"mail.tracking.{self._name}", {})
        records = self.browse([id_ for id_ in self.ids if id_ not in pending])
        return records, {record.id: {fname: record[fname] for fname in fnames} for record in records}

    def _haoka_log_tracking(self, initial_values):
        """Post the tracking messages of ``self`` from ``initial_values`` (:meth:`_haoka_tracking_snapshot`), as
        ``_message_track`` does, the log messages in bulk; a record whose change has a subtype is posted alone
        (that message notifies followers)."""
        if not initial_values:
            return self.env["mail.message"]
        fnames = next(iter(initial_values.values())).keys()
        tracked = self.fields_get(list(fnames), attributes=("string", "type", "selection", "currency_field"))
        bodies, commands = {}, {}
        for record in self.browse(list(initial_values)).sudo():
            changes, tracking_values = record._mail_track(tracked, initial_values[record.id])
            if not changes:
                continue
            body = record._track_get_default_log_message(changes)
            subtype = record._track_subtype({fname: initial_values[record.id][fname] for fname in changes})
            if subtype:
                record.message_post(body=body, subtype_id=subtype.id, tracking_value_ids=tracking_values)
            elif tracking_values:
                bodies[record.id], commands[record.id] = body, tracking_values
        messages = self.browse(list(commands))._message_log_batch(bodies=bodies)
        self.env["mail.tracking.value"].sudo().create([
            dict(command[2], mail_message_id=message.id) for message in messages for command in commands[message.res_id]
        ])
        return messages
