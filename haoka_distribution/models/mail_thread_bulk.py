from markupsafe import escape

from odoo import models
from odoo.tools import SQL


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
        messages = self.browse(list(commands))._haoka_message_log_bulk(bodies)
        self._haoka_insert_tracking_values([
            dict(command[2], mail_message_id=message.id) for message in messages for command in commands[message.res_id]
        ])
        return messages

    def _haoka_message_log_bulk(self, bodies):
        """``_message_log_batch(bodies)`` for thousands of records at the cost of a few: Odoo's method creates the
        first record's message (its author, type, subtype, reply-to, message id: the same for the whole batch), the
        others are copies of that row with their own record and body (sanitized as the ORM sanitizes it), inserted
        by one statement. The messages, in the order of ``self``."""
        records = self.browse(list(bodies)) if bodies else self
        if len(records) < 2:
            return records._message_log_batch(bodies=bodies)
        first = records[:1]._message_log_batch(bodies=bodies)
        first.flush_recordset()
        others = records[1:]
        body = first._fields["body"]
        names = [name for name, field in first._fields.items()
                 if field.store and field.column_type and name not in ("id", "res_id", "body")]
        columns = SQL(", ").join(SQL.identifier(name) for name in names)
        copied = SQL(", ").join(SQL.identifier("m", name) for name in names)
        self.env.cr.execute(SQL(
            """INSERT INTO mail_message (res_id, body, %(columns)s)
               SELECT record.res_id, record.body, %(copied)s
                 FROM unnest(%(ids)s::int[], %(bodies)s::text[]) AS record(res_id, body), mail_message m
                WHERE m.id = %(first)s
            RETURNING id, res_id""",
            columns=columns, copied=copied, ids=others.ids, first=first.id,
            bodies=[body.convert_to_column(escape(bodies.get(record.id, "")), first) for record in others]))
        ids = {res_id: id_ for id_, res_id in self.env.cr.fetchall()}
        records.invalidate_recordset(["message_ids", "message_needaction", "message_needaction_counter"])
        return first | first.browse([ids[record.id] for record in others])

    def _haoka_insert_tracking_values(self, vals_list):
        """Create ``mail.tracking.value`` rows (plain columns: field, old and new values, currency, message) with
        one statement per set of columns."""
        now, uid = self.env.cr.now(), self.env.uid
        by_columns = {}
        for vals in vals_list:
            by_columns.setdefault(tuple(sorted(vals)), []).append(vals)
        for names, rows in by_columns.items():
            self.env.cr.execute(SQL(
                "INSERT INTO mail_tracking_value (%s, create_uid, write_uid, create_date, write_date) VALUES %s",
                SQL(", ").join(SQL.identifier(name) for name in names),
                SQL(", ").join(SQL("(%s, %s, %s, %s, %s)", SQL(", ").join(SQL("%s", row[name]) for name in names),
                                   uid, uid, now, now) for row in rows)))
        self.env["mail.tracking.value"].invalidate_model()
