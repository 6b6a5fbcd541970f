"""A 号卡业务员 opens the cards list in a real (headless Chromium) browser."""

from odoo.tests import HttpCase, new_test_user, tagged

from .common import make_iccid


@tagged("post_install", "-at_install")
class TestCardsListInBrowser(HttpCase):
    def test_staff_opens_cards_list(self):
        self.env.ref("base.lang_zh_CN").active = True
        new_test_user(
            self.env,
            login="haoka_browser_staff",
            groups="haoka_distribution.group_haoka_user",
            name="Browser Staff",
            lang="zh_CN",
        )
        carrier = self.env.ref("haoka_distribution.carrier_cmcc")
        plan = self.env["product.template"].create(
            {"name": "Browser Plan", "is_sim_card": True, "haoka_carrier_id": carrier.id}
        )
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
