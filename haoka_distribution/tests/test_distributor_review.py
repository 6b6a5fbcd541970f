"""What the back office reviews about distributors: the staff-collected KYC files (only 号卡主管 reads them,
the field and the attachments themselves), and the distributors waiting for approval (the 待审核 filter
and menu of the distributor list, checked through the search view's own domain)."""

import base64

from lxml import etree

from odoo.exceptions import AccessError
from odoo.tests import new_test_user, tagged
from odoo.tools.safe_eval import safe_eval

from .common import HaokaCase, make_distributor


@tagged("post_install", "-at_install")
class TestKycFilesRestricted(HaokaCase):
    @classmethod
    def setUpClass(cls):
        super().setUpClass()
        cls.sales = new_test_user(cls.env, login="plain_sales", groups="sales_team.group_sale_salesman",
                                  name="Sales Wang")
        cls.agent = make_distributor(cls.env, "KYC Agent", "941")
        cls.file = cls.env["ir.attachment"].create({
            "name": "id-front.png", "datas": base64.b64encode(b"\x89PNG\r\n\x1a\nfake"),
            "res_model": "res.partner", "res_id": cls.agent.id,
        })
        cls.agent.haoka_kyc_attachment_ids = [(4, cls.file.id)]

    def test_a_plain_sales_user_reads_the_partner_but_not_the_kyc_files(self):
        agent = self.agent.with_user(self.sales)
        self.assertEqual(agent.read(["name"])[0]["name"], "KYC Agent")
        self.assertNotIn("haoka_kyc_attachment_ids", agent.fields_get())
        with self.assertRaises(AccessError):
            agent.read(["haoka_kyc_attachment_ids"])
        with self.assertRaises(AccessError):
            self.file.with_user(self.sales).read(["datas"])
        self.assertFalse(self.env["ir.attachment"].with_user(self.sales).search(
            [("res_model", "=", "res.partner"), ("res_id", "=", self.agent.id)]))

    def test_the_manager_reads_them(self):
        agent = self.agent.with_user(self.manager)
        self.assertEqual(agent.haoka_kyc_attachment_ids, self.file)
        self.assertEqual(base64.b64decode(self.file.with_user(self.manager).datas)[:8], b"\x89PNG\r\n\x1a\n")
        self.assertEqual(self.file.res_field, "haoka_kyc_attachment_ids")


@tagged("post_install", "-at_install")
class TestPendingDistributorsFilter(HaokaCase):
    def filter_domain(self, name):
        view = self.env.ref("haoka_distribution.res_partner_view_search_haoka_distributor")
        arch = etree.fromstring(self.env["res.partner"].get_view(view.id, "search")["arch"])
        return safe_eval(arch.xpath(f"//filter[@name='{name}']")[0].get("domain"))

    def test_pending_filter_and_menu(self):
        active = make_distributor(self.env, "Active Agent", "942")
        pending = make_distributor(self.env, "Referred Agent", "943", parent=active)
        pending.haoka_distributor_state = "pending"
        action = self.env.ref("haoka_distribution.action_haoka_distributors_pending")
        self.assertEqual(action.search_view_id,
                         self.env.ref("haoka_distribution.res_partner_view_search_haoka_distributor"))
        self.assertEqual(safe_eval(action.context)["search_default_haoka_pending"], 1)
        domain = safe_eval(action.domain) + self.filter_domain("haoka_pending")
        found = self.env["res.partner"].with_user(self.manager).search(domain)
        self.assertIn(pending, found)
        self.assertNotIn(active, found)
        self.assertEqual(set(found.mapped("haoka_distributor_state")), {"pending"})
