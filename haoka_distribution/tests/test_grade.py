"""The 靓号 classifier: measured patterns, the shipped grade rules, and grades stored on cards."""

from odoo.addons.haoka_distribution.tools import grade
from odoo.tests.common import BaseCase, tagged

from .common import HaokaCase

# number -> (pattern kind, label) expected from the shipped rules (None: no grade)
CASES = [
    ("13800008888", "repeat", "AAAA 8888"),
    ("13900088888", "repeat", "5A 88888"),
    ("13988888888", "repeat", "8A 88888888"),
    ("13800666666", "repeat", "6A 666666"),
    ("13812345777", "repeat", "AAA 777"),
    ("13800071234", "ascending", "ABCD 1234"),
    ("13800001234", "ascending", "ABCDE 01234"),
    ("13800003456", "ascending", "ABCD 3456"),
    ("13800456789", "ascending", "ABCDEF 456789"),
    ("13912345678", "ascending", "ABCDEFGH 12345678"),
    ("13800000789", "ascending", "ABC 789"),
    ("13800004321", "descending", "DCBA 4321"),
    ("13800009876", "descending", "DCBA 9876"),
    ("13800987654", "descending", "FEDCBA 987654"),
    ("13800000210", "descending", "CBA 210"),
    ("13800001122", "aabb", "AABB 1122"),
    ("13800005599", "aabb", "AABB 5599"),
    ("13800001212", "abab", "ABAB 1212"),
    ("13800373737", "abab", "ABABAB 373737"),
    ("13800001221", "abba", "ABBA 1221"),
    ("13800005005", "abba", "ABBA 5005"),
    ("13800003339", "aaab", "AAAB 3339"),
    ("13800001314", "lucky", "1314"),
    ("13800000168", "lucky", "168"),
    ("13800000518", "lucky", "518"),
    ("13800000520", "lucky", "520"),
    ("13800020888", "lucky", "888"),  # both AAA and lucky 888 (same level): the more specific 888 first
    ("13800020666", "lucky", "666"),
    ("13800020777", "repeat", "AAA 777"),
    ("13800012388", "lucky", "88"),
    ("13800012378", "lucky", "8"),
    ("13805792361", "no_four", "无4"),
    ("13840409237", None, None),  # has 4 in its last 8 digits, no pattern
    ("13811114207", None, None),
    ("13800001235", "no_four", "无4"),  # 1,2,3 then 5: not a run of 4
    ("13800007890", "no_four", "无4"),  # 7890: no wrap-around from 9 to 0
]


@tagged("post_install", "-at_install")
class TestGradeMeasures(BaseCase):
    """The classifier's measures and rule choice (pure functions, no ORM)."""

    def test_measure_runs(self):
        for number, repeat, ascending, descending in [
            ("13800008888", 4, 1, 1),
            ("13800071234", 1, 4, 1),
            ("13800004321", 1, 1, 4),
            ("13912345678", 1, 8, 1),
            ("13987654321", 1, 1, 9),
            ("13811111111", 8, 1, 1),
            ("13800001357", 1, 1, 1),
        ]:
            with self.subTest(number=number):
                measures = grade.measure(number)
                self.assertEqual((measures["repeat"], measures["ascending"], measures["descending"]),
                                 (repeat, ascending, descending))

    def test_measure_shapes(self):
        self.assertTrue(grade.measure("13800001122")["aabb"])
        self.assertFalse(grade.measure("13800001111")["aabb"])  # A == B is not AABB
        self.assertEqual(grade.measure("13800001212")["abab"], 4)
        self.assertEqual(grade.measure("13812121212")["abab"], 8)
        self.assertTrue(grade.measure("13800001221")["abba"])
        self.assertFalse(grade.measure("13800001111")["abba"])
        self.assertTrue(grade.measure("13800003339")["aaab"])
        self.assertFalse(grade.measure("13800003333")["aaab"])
        self.assertTrue(grade.measure("13805792361")["no_four"])
        self.assertFalse(grade.measure("13805742361")["no_four"])
        self.assertTrue(grade.measure("14805792361")["no_four"])  # only the last 8 digits count

    def test_classify_picks_highest_level(self):
        rules = [
            grade.Rule(1, "repeat", 3, None, 4, 10),
            grade.Rule(2, "repeat", 4, None, 7, 10),
            grade.Rule(3, "lucky", 0, "888", 4, 5),
        ]
        self.assertEqual(grade.classify("13800008888", rules).key, 2)
        self.assertEqual(grade.classify("13800000888", rules).key, 3)  # same level 4: lower sequence wins
        self.assertIsNone(grade.classify("13800000123", rules))
        tied = [grade.Rule(4, "lucky", 0, "88", 4, 5), grade.Rule(5, "lucky", 0, "8", 4, 5)]
        self.assertEqual(grade.classify("13800000888", tied).key, 4)
        self.assertEqual(grade.classify("13800000888", tied[::-1]).key, 5)  # a tie: the first rule given
        classify = grade.classifier(rules)
        self.assertEqual([classify(n) for n in ("13800008888", "13800000888", "13800000123", "")],
                         [grade.classify(n, rules) for n in ("13800008888", "13800000888", "13800000123", "")])


class TestGradeRules(HaokaCase):
    def test_shipped_rules_table(self):
        self.assertGreaterEqual(len(CASES), 30)
        rules = self.env["haoka.number.grade"]._classifier_rules()
        Grade = self.env["haoka.number.grade"]
        for number, kind, label in CASES:
            match = grade.classify(number, rules)
            with self.subTest(number=number):
                if kind is None:
                    self.assertIsNone(match)
                else:
                    self.assertIsNotNone(match)
                    self.assertEqual(Grade.browse(match.key).pattern_kind, kind)
                    self.assertEqual(match.label, label)

    def test_card_stores_grade_and_follows_rule_changes(self):
        card = self.create_card(1, "13800008888")
        aaaa = self.env.ref("haoka_distribution.grade_repeat_4")
        self.assertEqual(card.grade_id, aaaa)
        self.assertEqual(card.grade_pattern, "AAAA 8888")
        self.assertEqual(card.grade_level, aaaa.level)
        card.msisdn = "13800071234"
        self.assertEqual(card.grade_id, self.env.ref("haoka_distribution.grade_ascending_4"))
        # a manager raises a rule above the others: stored grades follow
        rule = (
            self.env["haoka.number.grade"]
            .with_user(self.manager)
            .create({"name": "Ends with 234", "pattern_kind": "lucky", "lucky_string": "234", "level": 11})
        )
        self.assertEqual(card.grade_id, rule)
        self.assertEqual(card.grade_pattern, "234")
        rule.with_user(self.manager).active = False
        self.assertEqual(card.grade_id, self.env.ref("haoka_distribution.grade_ascending_4"))

    def test_carrier_specific_rule(self):
        rule = self.env["haoka.number.grade"].create(
            {
                "name": "Unicom 99",
                "pattern_kind": "lucky",
                "lucky_string": "99",
                "level": 12,
                "carrier_id": self.cucc.id,
            }
        )
        mobile = self.create_card(2, "13800001299")
        unicom = self.create_card(3, "13000001299", product=self.product_cu)
        self.assertNotEqual(mobile.grade_id, rule)
        self.assertEqual(unicom.grade_id, rule)

    def test_staff_cannot_edit_rules(self):
        from odoo.exceptions import AccessError

        with self.assertRaises(AccessError):
            self.env.ref("haoka_distribution.grade_repeat_4").with_user(self.staff).write({"level": 1})
