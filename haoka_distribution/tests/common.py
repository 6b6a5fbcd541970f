from datetime import timedelta

from odoo import fields
from odoo.tests import new_test_user
from odoo.tests.common import TransactionCase

from ..tools import idcard, sim


def make_iccid(prefix, serial, valid=True):
    """A 20-digit ICCID ``prefix + serial`` padded, with a right (or deliberately wrong) check digit."""
    body = (prefix + str(serial).rjust(19 - len(prefix), "0"))[:19]
    digit = sim.luhn_check_digit(body)
    if not valid:
        digit = str((int(digit) + 1) % 10)
    return body + digit


def make_id_number(birth, region="110105", sequence="001"):
    """A valid resident ID number for someone born on ``birth``."""
    first17 = region + birth.strftime("%Y%m%d") + sequence
    return first17 + idcard.check_char(first17)


def adult_id(years=30, sequence="001"):
    import datetime

    today = datetime.date.today()
    return make_id_number(today.replace(year=today.year - years, day=1), sequence=sequence)


def remove_plan_stock(cr, product_id):
    """Delete a test plan's cards and the receipts that brought them into stock (committed data)."""
    cr.execute("SELECT DISTINCT picking_id FROM stock_move WHERE product_id = %s AND picking_id IS NOT NULL",
               (product_id,))
    picking_ids = [row[0] for row in cr.fetchall()]
    for table in ("stock_valuation_layer", "stock_move_line", "stock_move", "stock_quant"):
        cr.execute(f"DELETE FROM {table} WHERE product_id = %s", (product_id,))  # noqa: S608
    cr.execute("DELETE FROM stock_picking WHERE id = ANY(%s)", (picking_ids,))
    cr.execute("DELETE FROM stock_lot WHERE product_id = %s", (product_id,))


class HaokaCase(TransactionCase):
    """Shared set-up: the shipped carriers, two SIM plans, one ordinary product, users per group."""

    @classmethod
    def setUpClass(cls):
        super().setUpClass()
        cls.env = cls.env(context=dict(cls.env.context, tracking_disable=True))
        cls.cmcc = cls.env.ref("haoka_distribution.carrier_cmcc")
        cls.cucc = cls.env.ref("haoka_distribution.carrier_cucc")
        Template = cls.env["product.template"]
        cls.plan = Template.create(
            {"name": "Test Plan 29", "is_sim_card": True, "haoka_carrier_id": cls.cmcc.id, "list_price": 29}
        )
        cls.plan_b = Template.create(
            {"name": "Test Plan 39", "is_sim_card": True, "haoka_carrier_id": cls.cmcc.id, "list_price": 39}
        )
        cls.plan_cu = Template.create(
            {"name": "Test Unicom 19", "is_sim_card": True, "haoka_carrier_id": cls.cucc.id, "list_price": 19}
        )
        cls.product = cls.plan.product_variant_id
        cls.product_b = cls.plan_b.product_variant_id
        cls.product_cu = cls.plan_cu.product_variant_id
        cls.other_product = cls.env["product.product"].create(
            {"name": "Phone charger", "type": "consu", "is_storable": True, "tracking": "serial"}
        )
        cls.staff = new_test_user(
            cls.env, login="haoka_staff", groups="haoka_distribution.group_haoka_user", name="Staff Zhang"
        )
        cls.manager = new_test_user(
            cls.env, login="haoka_manager", groups="haoka_distribution.group_haoka_manager", name="Manager Li"
        )
        cls.finance = new_test_user(
            cls.env, login="haoka_finance", groups="haoka_distribution.group_haoka_finance", name="Finance Wang"
        )

    def create_card(self, serial, msisdn=None, product=None, **vals):
        product = product or self.product
        prefix = "898601" if product.haoka_carrier_id == self.cucc else "898600"
        values = {"name": make_iccid(prefix, serial), "product_id": product.id, "msisdn": msisdn}
        values.update(vals)
        return self.env["stock.lot"].create(values)

    @staticmethod
    def days(n):
        return fields.Datetime.now() + timedelta(days=n)
