"""Chinese users see no English string from this addon."""

import os
import re

import polib

from odoo.exceptions import ValidationError
from odoo.tools.translate import PoFileReader, TranslationModuleReader

from .common import HaokaCase, make_iccid

I18N = os.path.join(os.path.dirname(os.path.dirname(__file__)), "i18n")
CJK = re.compile(r"[\u4e00-\u9fff]")
LANGUAGE_NEUTRAL = {"ID", "ICCID"}


class TestChinese(HaokaCase):
    @classmethod
    def setUpClass(cls):
        super().setUpClass()
        cls.env.ref("base.lang_zh_CN").active = True
        cls.env["ir.module.module"]._load_module_terms(["haoka_distribution"], ["zh_CN"], overwrite=True)

    def test_po_file_complete(self):
        pot = polib.pofile(os.path.join(I18N, "haoka_distribution.pot"))
        po = polib.pofile(os.path.join(I18N, "zh_CN.po"))
        translated = {entry.msgid: entry.msgstr for entry in po if not entry.obsolete}
        missing = [entry.msgid for entry in pot if not translated.get(entry.msgid)]
        self.assertFalse(missing, "untranslated in zh_CN.po: %s" % missing[:20])
        fuzzy = [entry.msgid for entry in po.fuzzy_entries()]
        self.assertFalse(fuzzy, "fuzzy entries in zh_CN.po: %s" % fuzzy[:20])

    def test_translation_files_are_read_whole_by_odoo(self):
        """Odoo's PO reader stops at the first entry without its ``#. module:`` line (as a merge that glues
        two entries leaves it), and the language then loads nothing after it: every entry is read."""
        for name in ("zh_CN.po", "haoka_distribution.pot"):
            path = os.path.join(I18N, name)
            with open(path, "rb") as handle:
                read = {row["src"] for row in PoFileReader(handle)}
            entries = {entry.msgid for entry in polib.pofile(path) if entry.msgid and not entry.obsolete}
            self.assertEqual(sorted(entries - read), [], f"{name}: entries Odoo does not read")

    def test_po_file_covers_the_current_code(self):
        """Every term Odoo would export now (code, views, data, static files) is translated, even when the
        .pot file was not regenerated after a change."""
        po = polib.pofile(os.path.join(I18N, "zh_CN.po"))
        translated = {entry.msgid for entry in po if entry.msgstr and not entry.obsolete}
        terms = {source for _module, _type, _name, _res_id, source, _value, _comments
                 in TranslationModuleReader(self.env.cr, modules=["haoka_distribution"])}
        self.assertGreater(len(terms), 500)
        missing = sorted(terms - translated)
        self.assertFalse(missing, "not in zh_CN.po (run make i18n): %s" % missing[:20])

    def test_every_field_label_and_selection_in_chinese(self):
        data = self.env["ir.model.data"].search(
            [("module", "=", "haoka_distribution"), ("model", "=", "ir.model.fields")]
        )
        fields_ = self.env["ir.model.fields"].browse(data.mapped("res_id")).with_context(lang="zh_CN")
        self.assertGreater(len(fields_), 40)
        english = [
            f"{f.model}.{f.name}: {f.field_description}"
            for f in fields_
            if not CJK.search(f.field_description) and f.field_description not in LANGUAGE_NEUTRAL
        ]
        self.assertFalse(english, english)
        selections = (
            self.env["ir.model.fields.selection"].with_context(lang="zh_CN").search([("field_id", "in", fields_.ids)])
        )
        # the activity fields of mail.activity.mixin keep Odoo's own labels (untranslated on sale.order too)
        activity_fields = set(self.env["mail.activity.mixin"]._fields)
        english = [
            f"{s.field_id.name}.{s.value}: {s.name}"
            for s in selections
            if not CJK.search(s.name) and s.name not in LANGUAGE_NEUTRAL and s.field_id.name not in activity_fields
        ]
        self.assertFalse(english, english)

    def test_menus_groups_actions_in_chinese(self):
        for model in ("ir.ui.menu", "res.groups", "ir.actions.act_window", "haoka.carrier", "haoka.number.grade"):
            data = self.env["ir.model.data"].search([("module", "=", "haoka_distribution"), ("model", "=", model)])
            records = self.env[model].browse(data.mapped("res_id")).with_context(lang="zh_CN")
            names = [r.display_name for r in records.exists() if not CJK.search(r.with_context(lang="zh_CN").name)]
            self.assertFalse(names, f"{model}: {names}")
        root = self.env.ref("haoka_distribution.menu_haoka_root").with_context(lang="zh_CN")
        self.assertEqual(root.name, "号卡分销")

    def test_errors_in_chinese(self):
        Lot = self.env["stock.lot"].with_context(lang="zh_CN")
        with self.assertRaises(ValidationError) as error:
            Lot.create({"name": "1234", "product_id": self.product.id})
        self.assertTrue(CJK.search(str(error.exception)), str(error.exception))
        card = self.create_card(1, "13800000001")
        with self.assertRaises(ValidationError) as error:
            Lot.create({"name": make_iccid("898600", 2), "product_id": self.product.id, "msisdn": "13800000001"})
        self.assertIn("13800000001", str(error.exception))
        self.assertTrue(CJK.search(str(error.exception)), str(error.exception))
        self.assertEqual(card.msisdn, "13800000001")

    def test_views_in_chinese(self):
        arch = (
            self.env["stock.lot"]
            .with_context(lang="zh_CN")
            .get_view(self.env.ref("haoka_distribution.stock_lot_view_form_haoka").id)["arch"]
        )
        self.assertIn("显示", arch)  # the reveal button
        self.assertNotIn("Reveal PUK/PIN", arch)
