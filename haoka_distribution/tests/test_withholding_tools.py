"""Withdrawal money rules without a database: 劳务报酬 tax per payment and cumulative (累计预扣法), the fee, and
the bank payout file read back. Every expected figure is computed by hand in the test."""

from odoo.addons.haoka_distribution.tools import payout_file, spreadsheet, withholding
from odoo.addons.haoka_distribution.tools.withholding import Bracket
from odoo.tests.common import BaseCase, tagged

# 预扣率表二 (劳务报酬, per payment) and 预扣率表一 (cumulative), as the shipped data records hold them
PER_PAYMENT = [Bracket(20000, 20, 0), Bracket(50000, 30, 2000), Bracket(None, 40, 7000)]
CUMULATIVE = [
    Bracket(36000, 3, 0), Bracket(144000, 10, 2520), Bracket(300000, 20, 16920), Bracket(420000, 25, 31920),
    Bracket(660000, 30, 52920), Bracket(960000, 35, 85920), Bracket(None, 45, 181920),
]


@tagged("post_install", "-at_install")
class TestWithholdingTools(BaseCase):
    def test_per_payment_small_income_less_800(self):
        result = withholding.per_payment_tax(3000, PER_PAYMENT)
        self.assertEqual(result.taxable, 3000 - 800)
        self.assertEqual(result.tax, (3000 - 800) * 0.20)  # 440
        self.assertEqual(result.tax, 440)
        self.assertEqual(withholding.per_payment_tax(4000, PER_PAYMENT).tax, (4000 - 800) * 0.2)  # 640, limit kept
        self.assertEqual(withholding.per_payment_tax(800, PER_PAYMENT).tax, 0)
        self.assertEqual(withholding.per_payment_tax(500, PER_PAYMENT).tax, 0)  # never negative

    def test_per_payment_above_4000_less_20_percent(self):
        self.assertEqual(withholding.per_payment_tax(4000.01, PER_PAYMENT).taxable, 3200.01)  # 4,000.01 × 80 %
        result = withholding.per_payment_tax(10000, PER_PAYMENT)
        self.assertEqual((result.taxable, result.rate, result.tax), (8000, 20, 1600))  # 10,000 × 80 % × 20 %
        # 25,000 × 80 % = 20,000: the upper limit of the 20 % bracket is inclusive
        self.assertEqual(withholding.per_payment_tax(25000, PER_PAYMENT).tax, 4000)

    def test_per_payment_quick_deductions(self):
        result = withholding.per_payment_tax(30000, PER_PAYMENT)
        self.assertEqual((result.taxable, result.rate, result.quick_deduction), (24000, 30, 2000))
        self.assertEqual(result.tax, 24000 * 0.30 - 2000)  # 5,200
        # 100,000 × 80 % = 80,000 → × 40 % − 7,000 = 25,000
        self.assertEqual(withholding.per_payment_tax(100000, PER_PAYMENT).tax, 25000)

    def test_per_payment_thresholds_are_data(self):
        result = withholding.per_payment_tax(3000, PER_PAYMENT, small_income_limit=2000, expense_rate=30)
        self.assertEqual(result.tax, 3000 * 0.70 * 0.20)  # 420: above the (changed) limit, less 30 %

    def test_cumulative_month_by_month(self):
        # January: 20,000 → 20,000 × 80 % − 5,000 × 1 = 11,000 × 3 % = 330
        jan = withholding.cumulative_tax(20000, 1, 0, CUMULATIVE)
        self.assertEqual((jan.taxable, jan.rate, jan.tax), (11000, 3, 330))
        # February: 30,000 more → 50,000 × 80 % − 10,000 = 30,000 × 3 % = 900, less the 330 withheld = 570
        feb = withholding.cumulative_tax(50000, 2, 330, CUMULATIVE)
        self.assertEqual((feb.taxable, feb.tax), (30000, 900 - 330))
        # March: 40,000 more → 90,000 × 80 % − 15,000 = 57,000 × 10 % − 2,520 = 3,180, less 900 = 2,280
        mar = withholding.cumulative_tax(90000, 3, 900, CUMULATIVE)
        self.assertEqual((mar.taxable, mar.rate, mar.quick_deduction), (57000, 10, 2520))
        self.assertEqual(mar.tax, 57000 * 0.10 - 2520 - 900)

    def test_cumulative_below_the_allowance_and_high_brackets(self):
        # 5,000 in June: 4,000 − 30,000 is below zero: nothing to withhold
        self.assertEqual(withholding.cumulative_tax(5000, 6, 0, CUMULATIVE).tax, 0)
        # already withheld more than due (the year's income is lower than the months assumed): no refund here
        self.assertEqual(withholding.cumulative_tax(20000, 2, 900, CUMULATIVE).tax, 0)
        # 1,400,000 in December: × 80 % − 60,000 = 1,060,000 → × 45 % − 181,920 = 295,080
        dec = withholding.cumulative_tax(1400000, 12, 0, CUMULATIVE)
        self.assertEqual((dec.taxable, dec.rate, dec.tax), (1060000, 45, 295080))

    def test_brackets_must_have_one_open_end(self):
        with self.assertRaises(withholding.BracketError):
            withholding.tax_on(100, [Bracket(20000, 20, 0)])
        with self.assertRaises(withholding.BracketError):
            withholding.tax_on(100, [])
        # given in any order
        self.assertEqual(withholding.tax_on(30000, list(reversed(PER_PAYMENT))).tax, 7000)

    def test_fee_percentage_min_max(self):
        self.assertEqual(withholding.fee(1000, 0), 0)  # the default: no fee
        self.assertEqual(withholding.fee(1000, 6), 60)
        self.assertEqual(withholding.fee(10, 6, minimum=1), 1)  # 0.60 raised to the minimum
        self.assertEqual(withholding.fee(1000, 6, minimum=1, maximum=10), 10)  # 60 lowered to the maximum
        self.assertEqual(withholding.fee(0.5, 0, minimum=1), 0.5)  # never more than the amount
        self.assertEqual(withholding.fee(333.33, 0.6), 2.0)  # 1.99998 rounded to the fen

    def test_payout_file_reads_back(self):
        lines = [
            payout_file.PayoutLine("张三", "中国工商银行北京分行", "6222020200112233445", 1234.5, "佣金提现 WD00001"),
            payout_file.PayoutLine("李四", "", "0200000012345678901234", 80, "佣金提现 WD00002"),
        ]
        rows = spreadsheet.read_rows(payout_file.payout_xlsx(lines), "payout.xlsx")
        self.assertEqual(rows[0], ["户名", "开户行", "账号", "金额", "用途"])
        self.assertEqual(rows[1], ["张三", "中国工商银行北京分行", "6222020200112233445", 1234.5, "佣金提现 WD00001"])
        # a 22-digit account number stays text, every digit kept; an empty bank name is an empty cell
        self.assertEqual(rows[2][0], "李四")
        self.assertIn(rows[2][1], ("", None))
        self.assertEqual(rows[2][2:], ["0200000012345678901234", 80, "佣金提现 WD00002"])
        self.assertEqual(len(rows), 3)
