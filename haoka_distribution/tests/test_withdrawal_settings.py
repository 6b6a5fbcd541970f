"""The company's withdrawal settings (on res.company, shown in Settings) and the tax tables shipped as data."""

from odoo.exceptions import AccessError, UserError, ValidationError

from ..tools.withholding import Bracket
from .common import HaokaCase


class TestWithdrawalSettings(HaokaCase):

    def test_shipped_tax_tables(self):
        Bracket_ = self.env["haoka.withholding.bracket"]
        self.assertEqual(Bracket_._haoka_table("per_payment"),
                         [Bracket(20000, 20, 0), Bracket(50000, 30, 2000), Bracket(None, 40, 7000)])
        self.assertEqual(Bracket_._haoka_table("cumulative"), [
            Bracket(36000, 3, 0), Bracket(144000, 10, 2520), Bracket(300000, 20, 16920),
            Bracket(420000, 25, 31920), Bracket(660000, 30, 52920), Bracket(960000, 35, 85920),
            Bracket(None, 45, 181920)])

    def test_brackets_editable_by_finance_checked(self):
        Bracket_ = self.env["haoka.withholding.bracket"]
        top = self.env.ref("haoka_distribution.withholding_per_payment_3")
        top.with_user(self.finance).quick_deduction = 7100
        self.assertEqual(Bracket_._haoka_table("per_payment")[-1], Bracket(None, 40, 7100))
        with self.assertRaisesRegex(ValidationError, "same upper limit"):
            Bracket_.with_user(self.finance).create({"method": "per_payment", "upper_limit": 50000, "rate": 35})
        with self.assertRaises(AccessError):
            top.with_user(self.manager).rate = 45
        top.unlink()  # no open-ended bracket left: computing the tax says what to fix
        with self.assertRaisesRegex(UserError, "open-ended"):
            Bracket_._haoka_table("per_payment")

    def test_settings_are_per_company(self):
        other = self.env["res.company"].create({"name": "Other SIM Company"})
        settings = self.env["res.config.settings"].create({
            "haoka_withdrawal_min_amount": 50, "haoka_withdrawal_max_per_day": 20000,
            "haoka_withdrawal_one_in_flight": True, "haoka_withdrawal_interval_days": 7,
            "haoka_withdrawal_fee_percent": 6, "haoka_withdrawal_fee_min": 1, "haoka_withdrawal_fee_max": 10,
            "haoka_withholding_method": "cumulative",
        })
        settings.execute()
        company = self.env.company
        self.assertEqual(
            (company.haoka_withdrawal_min_amount, company.haoka_withdrawal_max_per_day,
             company.haoka_withdrawal_one_in_flight, company.haoka_withdrawal_interval_days,
             company.haoka_withdrawal_fee_percent, company.haoka_withdrawal_fee_min,
             company.haoka_withdrawal_fee_max, company.haoka_withholding_method),
            (50, 20000, True, 7, 6, 1, 10, "cumulative"))
        self.assertEqual(
            (other.haoka_withdrawal_min_amount, other.haoka_withdrawal_one_in_flight, other.haoka_withholding_method,
             other.haoka_withholding_small_income_limit, other.haoka_withholding_monthly_deduction),
            (0, False, "none", 4000, 5000))
