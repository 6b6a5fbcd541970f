import re
from datetime import timedelta

from odoo import api, fields, models, tools
from odoo.exceptions import ValidationError

from ..tools import secrets, spreadsheet, upstream_signature
from ..tools.groups import MANAGER_GROUP
from .haoka_secret_mixin import Secret

CODE_RE = re.compile(r"^[a-z0-9][a-z0-9_-]{0,63}$")
#: clear signing secrets by their encrypted token, in this process (the webhook's every request needs one): a new
#: secret or a key rotation re-encrypting it gives a new token, so an entry is never stale
CLEAR_SECRETS = {}
#: the fields the webhook reads of its source, fetched with it in one query
WEBHOOK_FIELDS = ["code", "signature_scheme", "secret_cipher", "signature_header", "timestamp_header", "tolerance",
                  "key_external_id"]
#: the default names of each value in a webhook payload or a report file's header (the source adds its own)
DEFAULT_KEYS = {
    "key_external_id": "event_id,id,notify_id,流水号,事件编号",
    "key_card": "iccid,卡号,iccid(卡号),sim卡号,iccid号码",
    "key_status": "status,状态,code,card_status,事件,event",
    "key_amount": "amount,金额,首充金额,充值金额,first_charge",
    "key_date": "date,event_date,日期,激活日期,时间,active_time,time",
    "key_number": "number,phone,号码,激活号码,手机号,msisdn,third_phone",
    "key_iccid": "iccid,卡号,sim卡号",
    "key_tracking": "tracking_no,express_no,tracking,运单号,快递单号,物流单号",
    "key_courier": "courier,express_company,express,快递公司,物流公司",
}


def split_keys(text):
    return [key.strip() for key in (text or "").split(",") if key.strip()]


class HaokaUpstream(models.Model):
    """A carrier or an upstream platform (上游) that reports what happens to cards: how it signs its callbacks,
    how its statuses map to our events, how its report files name their columns, how it names a card."""

    _name = "haoka.upstream"
    _description = "Upstream Source (Carrier or Platform)"
    _inherit = ["mail.thread", "mail.activity.mixin", "haoka.secret.mixin"]
    _order = "name"
    _haoka_secrets = {"secret": Secret(cipher="secret_cipher", mask="********")}

    name = fields.Char(required=True, tracking=True)
    code = fields.Char(
        required=True, tracking=True, copy=False,
        help="The source's name in its webhook URL: /haoka/upstream/<code>/event (lower-case letters, digits, - _).",
    )
    kind = fields.Selection([("carrier", "Carrier"), ("platform", "Upstream Platform")], default="platform",
                            required=True)
    carrier_id = fields.Many2one("haoka.carrier", string="Carrier")
    active = fields.Boolean(default=True)
    company_id = fields.Many2one("res.company", default=lambda self: self.env.company, index=True)
    responsible_id = fields.Many2one("res.users", string="Responsible", default=lambda self: self.env.user,
                                     help="Receives the activities about dead letters and silence.")
    signature_scheme = fields.Selection(
        [(upstream_signature.HMAC_SHA256, "HMAC-SHA256 (timestamp + raw body)"),
         (upstream_signature.MD5_SORTED, "MD5 (parameters sorted by name + key)")],
        default=upstream_signature.HMAC_SHA256, required=True, tracking=True,
    )
    secret = fields.Char(
        string="Signing Secret", compute="_compute_haoka_secret_masks", inverse="_inverse_secret",
        help="The key both sides sign with. Stored encrypted; shown masked; only SIM managers reveal it.",
    )
    secret_cipher = fields.Char(groups=MANAGER_GROUP, copy=False, string="Encrypted Signing Secret")
    signature_header = fields.Char(default="X-Signature", help="HMAC scheme: the header carrying the signature.")
    timestamp_header = fields.Char(default="X-Timestamp", help="HMAC scheme: the header carrying the timestamp.")
    tolerance = fields.Integer(string="Tolerance (s)", default=upstream_signature.DEFAULT_TOLERANCE,
                               help="A signed request older (or newer) than this many seconds is refused.")
    card_match = fields.Selection(
        [("iccid", "ICCID"), ("msisdn", "Phone Number"), ("order_ref", "Order Reference")],
        string="Cards Named By", default="iccid", required=True,
    )
    key_external_id = fields.Char(string="Event Id Names", default=DEFAULT_KEYS["key_external_id"])
    key_card = fields.Char(string="Card Names", default=DEFAULT_KEYS["key_card"])
    key_status = fields.Char(string="Status Names", default=DEFAULT_KEYS["key_status"])
    key_amount = fields.Char(string="Amount Names", default=DEFAULT_KEYS["key_amount"])
    key_date = fields.Char(string="Date Names", default=DEFAULT_KEYS["key_date"])
    key_number = fields.Char(string="Activated Number Names", default=DEFAULT_KEYS["key_number"])
    key_iccid = fields.Char(string="Shipped ICCID Names", default=DEFAULT_KEYS["key_iccid"],
                            help="Upstream shipping (上游代发): where the ICCID of the card shipped is.")
    key_tracking = fields.Char(string="Tracking Number Names", default=DEFAULT_KEYS["key_tracking"])
    key_courier = fields.Char(string="Courier Names", default=DEFAULT_KEYS["key_courier"],
                              help="Upstream shipping: where the courier (its code or name) is.")
    status_map_ids = fields.One2many("haoka.upstream.status.map", "source_id", string="Status Mapping")
    event_ids = fields.One2many("haoka.upstream.event", "source_id", string="Events")
    api_url = fields.Char(
        string="Order API URL",
        help="Base URL of the upstream's API; orders of the plans it fulfils are sent to <URL>/order.")
    api_timeout = fields.Integer(string="API Timeout (s)", default=10)
    expected_interval_hours = fields.Integer(
        string="Usual Interval (h)", default=24,
        help="An alert is raised when nothing has arrived from the source for longer than this.",
    )
    refused_per_hour = fields.Integer(
        string="Refused Requests Kept per Hour", default=100,
        help="Requests refused by the webhook (bad or stale signature, no event id) are kept for inspection, at "
        "most this many per hour for this source; the others are answered the same but not stored.")
    refused_keep_days = fields.Integer(
        string="Keep Refused Requests (days)", default=7,
        help="Refused requests older than this are removed by a daily clean-up; accepted events are never removed.")
    last_event_at = fields.Datetime(compute="_compute_dashboard", string="Last Event")
    received_count = fields.Integer(compute="_compute_dashboard", string="Waiting")
    processed_count = fields.Integer(compute="_compute_dashboard", string="Processed")
    ignored_count = fields.Integer(compute="_compute_dashboard", string="Ignored")
    retry_count = fields.Integer(compute="_compute_dashboard", string="To Retry")
    dead_letter_count = fields.Integer(compute="_compute_dashboard", string="Dead Letters")
    lag_minutes = fields.Integer(
        compute="_compute_dashboard", string="Lag (min)",
        help="How long the oldest event still waiting to be processed has waited.",
    )
    is_silent = fields.Boolean(compute="_compute_dashboard", string="Silent")

    _sql_constraints = [("code_unique", "unique(code)", "Another source already has this code.")]

    @api.constrains("code")
    def _check_code(self):
        for source in self:
            if not CODE_RE.match(source.code or ""):
                raise ValidationError(self.env._(
                    "The code %(code)s of source %(upstream)s may only hold lower-case letters, digits, - and _.",
                    code=source.code, upstream=source.name))

    def _inverse_secret(self):
        self._haoka_write_secret("secret")

    def _signing_secret(self):
        """The clear signing secret (server code only), decrypted once per encrypted token in this process."""
        self.ensure_one()
        self._haoka_check_secret_access(["secret"])
        token = self.sudo().secret_cipher
        clear = CLEAR_SECRETS.get(token)
        if clear is None:
            clear = secrets.decrypt(token)
            if clear is not False:  # not yet readable (no key of the ring made it): tried again next time
                if len(CLEAR_SECRETS) >= 256:
                    CLEAR_SECRETS.clear()
                CLEAR_SECRETS[token] = clear
        return clear

    @api.model
    def _webhook_source(self, code):
        """The active source of ``code`` (superuser), what the webhook reads of it in the record cache, with no
        query: from :meth:`_webhook_sources`, a cache of this process."""
        values = self._webhook_sources().get(code)
        if not values:
            return self.sudo().browse()
        source = self.sudo().browse(values[0])
        for name, value in zip(WEBHOOK_FIELDS, values[1:], strict=True):
            self.env.cache.insert_missing(source, self._fields[name], [value])  # the transaction's own values first
        return source

    @api.model
    @tools.ormcache()
    def _webhook_sources(self):
        """``{code: (id, *values of WEBHOOK_FIELDS)}`` of the active sources, as the record cache holds them. The
        webhook's every request needs its source: kept until a source changes (``create``, ``write``, ``unlink``
        and a key rotation's batches clear Odoo's caches, in every worker through its cache signaling). All the
        sources at once, so that requests naming unknown codes add nothing to the cache."""
        sources = self.sudo().search_fetch([], WEBHOOK_FIELDS)
        return {source.code: (source.id, *(self.env.cache.get(source, self._fields[name]) for name in WEBHOOK_FIELDS))
                for source in sources}

    @api.model_create_multi
    def create(self, vals_list):
        self.env.registry.clear_cache()  # _webhook_sources
        return super().create(vals_list)

    def write(self, vals):
        if not vals.keys().isdisjoint([*WEBHOOK_FIELDS, "active", "secret"]):
            self.env.registry.clear_cache()  # _webhook_sources (not for the mail threads' and others' writes)
        return super().write(vals)

    def unlink(self):
        self.env.registry.clear_cache()  # _webhook_sources
        return super().unlink()

    def _keys(self, field):
        return split_keys(self[field])

    def _pick_value(self, values, field):
        """The first value of ``values`` (a payload) under one of the source's names for ``field`` (exact, then
        compared as headers are: case, spaces and punctuation left out)."""
        return self._value_picker()(values, field)

    def _value_picker(self):
        """:meth:`_pick_value` as a function with the source's names read once (many payloads in a row)."""
        names = {}

        def pick(values, field):
            if field not in names:
                names[field] = [(key, spreadsheet.header_key(key)) for key in self._keys(field)]
            folded = None
            for key, folded_key in names[field]:
                if key in values:
                    value = values[key]
                else:
                    if folded is None:
                        folded = {spreadsheet.header_key(name): value for name, value in values.items()}
                    value = folded.get(folded_key)
                if value not in (None, ""):
                    return value
            return None

        return pick

    @api.depends("event_ids.state")
    def _compute_dashboard(self):
        Event = self.env["haoka.upstream.event"].sudo()
        counts = {(source.id, state): count for source, state, count in Event._read_group(
            [("source_id", "in", self.ids)], ["source_id", "state"], ["__count"])}
        dead = dict(Event._read_group([("source_id", "in", self.ids)] + Event._dead_letter_domain(),
                                      ["source_id"], ["__count"]))
        last = dict(Event._read_group([("source_id", "in", self.ids), ("external_id", "!=", False)],
                                      ["source_id"], ["received_at:max"]))
        oldest = dict(Event._read_group([("source_id", "in", self.ids), ("state", "=", "received")],
                                        ["source_id"], ["received_at:min"]))
        now = fields.Datetime.now()
        for source in self:
            source.received_count = counts.get((source.id, "received"), 0)
            source.processed_count = counts.get((source.id, "processed"), 0)
            source.ignored_count = counts.get((source.id, "ignored"), 0)
            source.dead_letter_count = dead.get(source, 0)
            source.retry_count = counts.get((source.id, "failed"), 0) - source.dead_letter_count
            source.last_event_at = last.get(source, False)
            waiting = oldest.get(source)
            source.lag_minutes = int((now - waiting).total_seconds() // 60) if waiting else 0
            source.is_silent = source._silent_since(now)

    def _silent_since(self, now):
        """True when the source usually reports but nothing signed has arrived within its interval."""
        if not self.expected_interval_hours or not self.id:
            return False
        limit = now - timedelta(hours=self.expected_interval_hours)
        latest = self.env["haoka.upstream.event"].sudo().search(
            [("source_id", "=", self.id), ("external_id", "!=", False)], order="received_at desc", limit=1)
        return (latest.received_at or self.create_date) < limit

    @api.model
    def _cron_check_silence(self):
        """Raise an activity on every source silent for longer than its usual interval (one open at a time)."""
        now = fields.Datetime.now()
        silent = self.search([]).filtered(lambda s: s._silent_since(now))
        for source in silent:
            source._raise_activity(self.env._("No event from %(upstream)s for more than %(hours)s hours.",
                                              upstream=source.name, hours=source.expected_interval_hours))
        return len(silent)

    def _raise_activity(self, summary):
        """A to-do for the source's responsible, unless one with the same summary is still open."""
        for source in self:
            if not source.activity_ids.filtered(lambda a: a.summary == summary):
                source.activity_schedule("mail.mail_activity_data_todo", summary=summary,
                                         user_id=(source.responsible_id or self.env.user).id)

    def _status_event(self, code):
        """The status mapping line of ``code`` (exact, then case-insensitive), or an empty record."""
        self.ensure_one()
        text = (code or "").strip()
        lines = self.status_map_ids
        return (lines.filtered(lambda m: m.code == text)
                or lines.filtered(lambda m: m.code.lower() == text.lower()))[:1]

    def action_open_events(self):
        return self._events_action(self.env._("Events"), [])

    def action_open_dead_letters(self):
        return self._events_action(self.env._("Dead Letters"), self.env["haoka.upstream.event"]._dead_letter_domain())

    def _events_action(self, name, domain):
        self.ensure_one()
        return {
            "type": "ir.actions.act_window", "name": name, "res_model": "haoka.upstream.event",
            "view_mode": "list,form", "domain": [("source_id", "=", self.id)] + domain,
            "context": {"default_source_id": self.id},
        }

    def action_import_report(self):
        self.ensure_one()
        return {
            "type": "ir.actions.act_window", "name": self.env._("Import Upstream Report"),
            "res_model": "haoka.upstream.report.import", "view_mode": "form", "target": "new",
            "context": {"default_source_id": self.id},
        }
