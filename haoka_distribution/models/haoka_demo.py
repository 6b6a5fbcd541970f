"""The demo data's generators (``make demo``): cards and orders too many or too varied for XML records.
The demo XML files call these methods (``<function model="haoka.demo" .../>``)."""

import random
from datetime import timedelta

from odoo import api, fields, models

from ..tools import grade, idcard, sim, texts


class HaokaDemo(models.AbstractModel):
    _name = "haoka.demo"
    _description = "SIM Card Distribution Demo Data"

    # ------------------------------------------------------------------ cards

    @api.model
    def _haoka_create_demo_cards(self, template_ids, count):
        """Demo cards: deterministic ICCIDs (with check digit) and numbers, some premium tails, a few
        ICCIDs with a wrong check digit, cards expiring soon, expired and void cards; then cards in stock
        and far from expiry for every active number grade (so each grade can be searched and sold)."""
        if texts.lacks_lang(self):  # installing: stored texts in the language of the company's users
            return texts.in_readers_lang(self)._haoka_create_demo_cards(template_ids, count)
        Lot = self.env["stock.lot"]
        rng = random.Random(20261127)
        templates = self.env["product.template"].browse(template_ids)
        now = fields.Datetime.now()
        used_numbers = set()
        vals_list = [self._haoka_demo_plain_card_vals(rng, templates, index, used_numbers, now)
                     for index in range(count)]
        cards = Lot.with_context(mail_create_nolog=True, tracking_disable=True).create(vals_list)
        graded = self._haoka_create_demo_graded_cards(rng, templates, used_numbers)
        (cards | graded)._haoka_receive_in_stock()
        # expired and void cards are plain numbers (index % 3 == 2): the premium tails stay on sale
        cards.browse([card.id for index, card in enumerate(cards) if index % 30 == 5]).write(
            {"expiration_date": now - timedelta(days=10)})
        Lot._cron_haoka_card_expiry()
        cards.browse([card.id for index, card in enumerate(cards) if index % 45 == 11]).filtered(
            lambda card: card.card_state == "available").action_void()
        return True

    @api.model
    def _haoka_demo_plain_card_vals(self, rng, templates, index, used_numbers, now):
        """The values of the ``index``-th demo card: on the plans in turn, every third one with a premium
        tail, every 25th expiring soon, every 50th with a wrong ICCID check digit."""
        tails = ["8888", "1234", "6789", "1122", "1212", "1314", "0168", "5520", "4321", "9999",
                 "6666", "1221", "7778", "2345", "3888", "0000", "5678", "9876", "3535", "0518"]
        template = templates[index % len(templates)]
        segment = rng.choice(sorted(template.haoka_carrier_id._segment_set()))
        while True:
            tail = tails[index % len(tails)] if index % 3 == 0 else ""
            middle = "".join(rng.choice("0123456789") for _ in range(8 - len(tail)))
            number = segment + middle + tail
            if number not in used_numbers:
                used_numbers.add(number)
                break
        expiry = now + timedelta(days=rng.randint(200, 900))
        if index % 25 == 3:
            expiry = now + timedelta(days=rng.randint(3, 25))
        return self._haoka_demo_card_vals(rng, template, number, expiry, wrong_digit=index % 50 == 7)

    @api.model
    def _haoka_demo_card_vals(self, rng, template, number, expiry, wrong_digit=False):
        prefix = sim.parse_prefixes(template.haoka_carrier_id.iccid_prefixes)[0]
        body = prefix + "".join(rng.choice("0123456789") for _ in range(19 - len(prefix)))
        digit = sim.luhn_check_digit(body)
        if wrong_digit:  # a carrier file with a wrong check digit: accepted and flagged
            digit = str((int(digit) + 1) % 10)
        return {
            "name": body + digit,
            "product_id": template.product_variant_id.id,
            "msisdn": number,
            "puk": "%08d" % rng.randint(0, 99999999),
            "pin": "1234",
            "expiration_date": expiry,
        }

    @api.model
    def _haoka_create_demo_graded_cards(self, rng, templates, used_numbers, per_grade=2):
        """``per_grade`` cards of each active number grade, on the plans in turn, expiring in 1–2.5 years."""
        vals_list = []
        index = 0
        for rule in self.env["haoka.number.grade"].search([]):
            for _copy in range(per_grade):
                template = templates[index % len(templates)]
                index += 1
                number = self._haoka_demo_number_of_grade(rng, rule, template.haoka_carrier_id, used_numbers)
                if number:
                    used_numbers.add(number)
                    expiry = fields.Datetime.now() + timedelta(days=rng.randint(400, 900))
                    vals_list.append(self._haoka_demo_card_vals(rng, template, number, expiry))
        return self.env["stock.lot"].with_context(mail_create_nolog=True, tracking_disable=True).create(vals_list)

    @api.model
    def _haoka_demo_number_of_grade(self, rng, rule, carrier, used_numbers, attempts=2000):
        """A number of ``carrier`` that the classifier puts in grade ``rule`` (``None`` if none found)."""
        classify = grade.classifier(self.env["haoka.number.grade"]._classifier_rules(carrier))
        segments = sorted(carrier._segment_set())
        for _attempt in range(attempts):
            tail = _demo_tail(rng, rule.pattern_kind, rule.min_length, rule.lucky_string)
            digits = "012356789" if rule.pattern_kind == "no_four" else "0123456789"
            number = rng.choice(segments) + "".join(rng.choice(digits) for _ in range(8 - len(tail))) + tail
            match = classify(number)
            if match and match.key == rule.id and number not in used_numbers:
                return number
        return None

    # ------------------------------------------------------------------ orders

    @api.model
    def _haoka_create_demo_orders(self):
        """Demo: customers referred by the demo distributors and orders at every fulfilment step."""
        if texts.lacks_lang(self):  # installing: the orders' notes in the language of the company's users
            return texts.in_readers_lang(self)._haoka_create_demo_orders()
        # the addon's own translations (couriers, grades) are loaded after its demo data: load them now
        langs = [code for code, _name in self.env["res.lang"].get_installed() if code != "en_US"]
        self.env["ir.module.module"]._load_module_terms(["haoka_distribution"], langs)
        plans = [self.env.ref("haoka_distribution.plan_cmcc_29"), self.env.ref("haoka_distribution.plan_cmcc_59"),
                 self.env.ref("haoka_distribution.plan_cucc_19")]
        names = ["陈静", "刘洋", "杨帆", "黄磊", "周婷"]
        orders = self.env["sale.order"]
        for index, name in enumerate(names):
            orders |= self._haoka_create_demo_order(index, name, plans[index % len(plans)])
        orders[:4].action_confirm()
        courier = self.env.ref("haoka_distribution.courier_sf")
        orders[0]._haoka_ship(courier, "SF1001000001")
        orders[1]._haoka_ship(courier, "SF1001000002")
        orders[1].action_haoka_confirm_receipt()
        orders[2]._haoka_ship(courier, "SF1001000003")
        orders[2].action_haoka_confirm_receipt()
        orders[2]._haoka_sim_lines().haoka_lot_ids._haoka_record_carrier_event("first_topup", amount=100)
        return True

    @api.model
    def _haoka_create_demo_order(self, index, name, plan):
        """A draft order of ``plan`` by a new customer ``name`` in Shanghai, referred by the demo seller,
        with a valid resident ID number."""
        customer = self.env["res.partner"].create({
            "name": name, "phone": "1370000000%d" % index,
            "haoka_referrer_id": self.env.ref("haoka_distribution.distributor_seller").id,
            "street": "浦东新区世纪大道 %d 号" % (100 + index), "city": "上海", "zip": "200120",
            "state_id": self.env.ref("base.state_cn_SH").id, "country_id": self.env.ref("base.cn").id,
        })
        first17 = "310115" + "19%02d0101" % (80 + index) + "02%d" % index
        return self.env["sale.order"].create({
            "partner_id": customer.id,
            "haoka_holder_name": name,
            "haoka_id_number": first17 + idcard.check_char(first17),
            "haoka_holder_phone": customer.phone,
            "order_line": [fields.Command.create({
                "product_id": plan.product_variant_id.id,
                "product_uom_qty": 1 + index % 2,
            })],
        })


def _demo_tail(rng, kind, length, lucky):
    """The last digits of a demo number of pattern ``kind`` (the classifier checks the whole number)."""
    length = max(length or 0, 4 if kind in ("aabb", "abab", "abba", "aaab") else 3)
    a, b = rng.sample("0123456789", 2)
    if kind == "repeat":
        return a * length
    if kind in ("ascending", "descending"):
        start = rng.randint(0, 10 - length)
        run = "".join(str(start + step) for step in range(length))
        return run if kind == "ascending" else run[::-1]
    if kind == "abab":
        return (a + b) * (length // 2) + (a if length % 2 else "")
    if kind == "lucky":
        return lucky or ""
    return {"aabb": a + a + b + b, "abba": a + b + b + a, "aaab": a * 3 + b}.get(kind, "")
