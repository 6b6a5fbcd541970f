"""A 号卡业务员 opens the cards list in a real (headless Chromium) browser."""

from odoo.tests import HttpCase, new_test_user, tagged

from ..tools.groups import MANAGER_GROUP, USER_GROUP
from .common import activate_chinese, adult_id, make_iccid, make_sim_plan


@tagged("post_install", "-at_install")
class TestCardsListInBrowser(HttpCase):
    def test_staff_opens_cards_list(self):
        """SIM staff open the cards list in a real browser: the card is listed with its number, without its
        PUK, and the breadcrumb and headers are in Chinese.

        Long because the check runs in the browser: its JavaScript is most of the lines."""
        activate_chinese(self.env)
        new_test_user(
            self.env,
            login="haoka_browser_staff",
            groups=USER_GROUP,
            name="Browser Staff",
            lang="zh_CN",
        )
        plan = make_sim_plan(self.env, "Browser Plan")
        iccid = make_iccid("898600", 424242)
        self.env["stock.lot"].create(
            {"name": iccid, "product_id": plan.product_variant_id.id, "msisdn": "13800424242", "puk": "12345678"}
        )
        code = """
            const started = Date.now();
            const check = () => {
                const rows = [...document.querySelectorAll('.o_list_view .o_data_row')];
                const text = document.body.innerText;
                if (rows.length && text.includes('%(iccid)s')) {
                    const headers = [...document.querySelectorAll('.o_list_view th')].map(th => th.innerText);
                    if (!text.includes('13800424242')) { console.error('number missing'); return; }
                    if (text.includes('12345678')) { console.error('PUK shown in the list'); return; }
                    const breadcrumb = document.querySelector('.o_breadcrumb').innerText;
                    if (!breadcrumb.includes('号卡')) {
                        console.error('breadcrumb not in Chinese: ' + breadcrumb);
                        return;
                    }
                    if (!headers.some(h => h.includes('号码'))) {
                        console.error('headers not in Chinese: ' + headers);
                        return;
                    }
                    console.log('test successful');
                } else if (Date.now() - started > 20000) {
                    console.error('cards list did not show the card');
                } else {
                    setTimeout(check, 200);
                }
            };
            check();
        """ % {"iccid": iccid}
        self.browser_js("/odoo/sim-cards", code, ready="odoo.isReady === true", login="haoka_browser_staff")


@tagged("post_install", "-at_install")
class TestShipTour(HttpCase):
    def test_ship_from_to_ship_list(self):
        staff = new_test_user(
            self.env, login="haoka_tour_staff", groups=USER_GROUP, name="Tour Staff",
        )
        plan = make_sim_plan(self.env, "Tour Plan", list_price=30)
        card = self.env["stock.lot"].with_context(haoka_manual_entry=True).create(
            {"name": make_iccid("898600", 777777), "product_id": plan.product_variant_id.id,
             "msisdn": "13800777777"}
        )
        customer = self.env["res.partner"].create(
            {"name": "HAOKA-TOUR customer", "phone": "13700777777", "city": "杭州", "street": "文三路 1 号"}
        )
        order = self.env["sale.order"].with_user(staff).create({
            "partner_id": customer.id,
            "haoka_holder_name": "测试",
            "haoka_id_number": adult_id(),
            "order_line": [(0, 0, {"product_id": plan.product_variant_id.id, "haoka_lot_ids": [(6, 0, card.ids)]})],
        })
        order.action_confirm()
        self.assertEqual(order.haoka_fulfilment_state, "to_ship")
        self.start_tour("/odoo/sim-orders-to-ship", "haoka_ship_from_to_ship_list", login="haoka_tour_staff")
        self.assertEqual(order.haoka_fulfilment_state, "shipped")
        self.assertEqual(order.haoka_tracking_ref, "SF9876543210")
        self.assertEqual(order.haoka_courier_id, self.env["haoka.courier"].search([], limit=1))
        self.assertEqual(card.card_state, "shipped")
        self.assertEqual(order.picking_ids.move_line_ids.lot_id, card)


    def test_ship_batch_from_couriers_file(self):
        staff = new_test_user(
            self.env, login="haoka_batch_staff", groups=USER_GROUP, name="Batch Staff",
        )
        carrier = self.env.ref("haoka_distribution.carrier_cmcc")
        plan = self.env["product.template"].create(
            {"name": "Batch Plan", "is_sim_card": True, "haoka_carrier_id": carrier.id, "list_price": 30}
        )
        Lot = self.env["stock.lot"].with_context(haoka_manual_entry=True)
        orders = self.env["sale.order"]
        for index in (1, 2):
            card = Lot.create({"name": make_iccid("898600", 778800 + index), "product_id": plan.product_variant_id.id,
                               "msisdn": "1380078880%d" % index})
            customer = self.env["res.partner"].create({"name": "HAOKA-BATCH-%d" % index,
                                                       "phone": "1370078880%d" % index})
            orders |= self.env["sale.order"].with_user(staff).create({
                "partner_id": customer.id, "haoka_holder_name": "批量",
                "haoka_id_number": adult_id(sequence="88%d" % index),
                "order_line": [(0, 0, {"product_id": plan.product_variant_id.id, "haoka_lot_ids": [(6, 0, card.ids)]})],
            })
        orders.action_confirm()
        self.start_tour("/odoo/sim-orders-to-ship", "haoka_ship_batch_from_courier_file", login="haoka_batch_staff")
        self.assertEqual(orders.mapped("haoka_fulfilment_state"), ["shipped", "shipped"])
        self.assertEqual(sorted(orders.mapped("haoka_tracking_ref")), ["YT-BATCH-1", "YT-BATCH-2"])


@tagged("post_install", "-at_install")
class TestDashboardTour(HttpCase):
    def test_dashboard_in_chinese(self):
        activate_chinese(self.env)
        new_test_user(self.env, login="haoka_dash_manager", groups=MANAGER_GROUP,
                      name="Dash Manager", lang="zh_CN")
        plan = make_sim_plan(self.env, "Dash Plan", list_price=30)
        self.env["stock.lot"].with_context(haoka_manual_entry=True).create([
            {"name": make_iccid("898600", 888800 + i), "product_id": plan.product_variant_id.id,
             "msisdn": "138008888%02d" % i} for i in range(3)
        ])
        agent = self.env["res.partner"].create({"name": "Dash Agent", "haoka_is_distributor": True})
        customer = self.env["res.partner"].create({"name": "Dash customer", "haoka_referrer_id": agent.id})
        order = self.env["sale.order"].create({
            "partner_id": customer.id,
            "haoka_holder_name": "测试",
            "haoka_id_number": adult_id(sequence="555"),
            "order_line": [(0, 0, {"product_id": plan.product_variant_id.id, "product_uom_qty": 3})],
        })
        order.action_confirm()
        self.assertEqual(order.haoka_distributor_id, agent)
        self.start_tour("/odoo/sim-dashboard", "haoka_dashboard", login="haoka_dash_manager")
