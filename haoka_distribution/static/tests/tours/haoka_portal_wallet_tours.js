import { registry } from "@web/core/registry";

/** The selector of a figure (``.o_haoka_balance``, ``.o_haoka_held``, ``.o_haoka_available``) of the wallet
 * named ``wallet`` on 我的钱包, showing ``amount``. */
function walletFigure(wallet, figure, amount) {
    return `.o_haoka_wallet_figures .border:has(.fw-bold:contains('${wallet}')) ${figure}:contains('${amount}')`;
}

// A distributor tops up its 预存款 online: the amount, Odoo's payment page with the Demo provider (a
// successful test payment), then back on 我的钱包 with the balance credited.
// Started by the Python test on /my/wallet/topup; the test then checks the transaction and the wallet.
registry.category("web_tour.tours").add("haoka_portal_wallet_topup_demo", {
    steps: () => [
        { content: "The amount to top up", trigger: "#haoka_topup_amount", run: "edit 88.80" },
        { content: "Pay online", trigger: ".o_haoka_topup_form button[type='submit']", run: "click" },
        {
            content: "Odoo's payment page offers the Demo provider",
            trigger: "input[name='o_payment_radio'][data-provider-code='demo']",
            run: "click",
        },
        { content: "Test card details", trigger: "#customer_input", run: "edit 4111 1111 1111 1111" },
        {
            content: "A successful payment",
            trigger: "#simulated_payment_state",
            run: "select done",
        },
        { content: "Pay", trigger: "button[name='o_payment_submit_button']:not(:disabled)", run: "click" },
        {
            content: "Back on 我的钱包: 预存款 credited",
            trigger: walletFigure("预存款", ".o_haoka_balance", "88.80"),
        },
    ],
});

// A distributor asks for a withdrawal: amount and trusted bank account, the fee, tax and net amount shown
// before submitting, then submitted: 已提交 in the history, the amount held and no longer available.
// Started by the Python test on /my/withdrawals/new with 300 in 佣金余额 and a 2% fee.
registry.category("web_tour.tours").add("haoka_portal_withdrawal_held", {
    steps: () => [
        { content: "The amount", trigger: "#haoka_withdrawal_amount", run: "edit 100.50" },
        {
            content: "The trusted bank account",
            trigger: "#haoka_withdrawal_bank",
            run: "selectByLabel 6222020200112233001",
        },
        { content: "See the fee", trigger: ".o_haoka_withdrawal_form button[type='submit']", run: "click" },
        { content: "The fee before submitting", trigger: ".o_haoka_withdrawal .o_haoka_fee:contains('2.01')" },
        { content: "No tax withheld", trigger: ".o_haoka_withdrawal .o_haoka_tax:contains('0.00')" },
        { content: "The net amount", trigger: ".o_haoka_withdrawal .o_haoka_net:contains('98.49')" },
        { content: "A draft", trigger: "h3 .badge:contains('草稿')" },
        { content: "Submit", trigger: "form[action$='/submit'] button[type='submit']", run: "click" },
        { content: "Submitted", trigger: "h3 .badge:contains('已提交')" },
        { content: "To the history", trigger: "a[href='/my/withdrawals'].btn-link", run: "click" },
        {
            content: "The history shows it submitted",
            trigger: ".o_haoka_withdrawals .list-group-item:contains('已提交'):contains('100.50')",
        },
        { content: "To 个人中心", trigger: ".o_portal_submenu a[href='/my/home']", run: "click" },
        { content: "Open 我的钱包", trigger: "#haoka_tiles a[href='/my/wallet']", run: "click" },
        { content: "The amount is held", trigger: walletFigure("佣金余额", ".o_haoka_held", "100.50") },
        { content: "The rest is available", trigger: walletFigure("佣金余额", ".o_haoka_available", "199.50") },
        { content: "The balance", trigger: walletFigure("佣金余额", ".o_haoka_balance", "199.50") },
    ],
});
