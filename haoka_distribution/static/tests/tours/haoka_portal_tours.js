import { registry } from "@web/core/registry";

/** A small PNG (a canvas drawing) set as the file of the file input ``selector``. */
function attachPng(selector, color) {
    const canvas = document.createElement("canvas");
    canvas.width = 60;
    canvas.height = 40;
    const context = canvas.getContext("2d");
    context.fillStyle = color;
    context.fillRect(0, 0, 60, 40);
    const binary = atob(canvas.toDataURL("image/png").split(",")[1]);
    const bytes = Uint8Array.from(binary, (char) => char.charCodeAt(0));
    const transfer = new DataTransfer();
    transfer.items.add(new File([bytes], "id.png", { type: "image/png" }));
    const input = document.querySelector(selector);
    input.files = transfer.files;
    input.dispatchEvent(new Event("change", { bubbles: true }));
}

// Someone opens a distributor's referral link, signs up, is taken to 实名认证 and submits it.
// Started by the Python test on /r/<code>; the test then approves and checks the result.
registry.category("web_tour.tours").add("haoka_portal_referral_signup", {
    steps: () => [
        { content: "The sign-up names who invited", trigger: ".o_haoka_referrer:contains('Seller Agent')" },
        { trigger: ".oe_signup_form input[name='login']", run: "edit tour.newbie@example.com" },
        { trigger: ".oe_signup_form input[name='name']", run: "edit Tour Newbie" },
        { trigger: ".oe_signup_form input[name='password']", run: "edit Tour-pass-123" },
        { trigger: ".oe_signup_form input[name='confirm_password']", run: "edit Tour-pass-123" },
        { content: "Sign up", trigger: ".oe_signup_form button[type='submit']", run: "click" },
        { content: "First login: real-name verification first", trigger: "form.o_haoka_kyc_form" },
        { trigger: "#haoka_kyc_name", run: "edit 新代理" },
        { trigger: "#haoka_kyc_id", run: "edit 110105199001011232" },
        {
            content: "Attach the ID photos",
            trigger: "#haoka_photo_front",
            run() {
                attachPng("#haoka_photo_front", "#c33");
                attachPng("#haoka_photo_back", "#33c");
            },
        },
        { content: "Submit for review", trigger: "form.o_haoka_kyc_form button[type='submit']", run: "click" },
        {
            content: "The review state is shown, the form is gone",
            trigger: "body:not(:has(form.o_haoka_kyc_form)) .o_haoka_kyc_state.alert-info",
        },
    ],
});

// A verified distributor searches a number by its tail, chooses it, enters the holder and confirms.
registry.category("web_tour.tours").add("haoka_portal_order_chosen_number", {
    steps: () => [
        { content: "Choose the plan", trigger: "#haoka_plan", run: "selectByLabel Test Plan 29" },
        { content: "The number ends with 0003", trigger: "#haoka_digits", run: "edit 0003" },
        { content: "Search", trigger: ".o_haoka_number_search button[type='submit']", run: "click" },
        {
            content: "Choose the number found",
            trigger: ".o_haoka_numbers form:has(.o_haoka_number:contains('13800500003')) button",
            run: "click",
        },
        { trigger: "#haoka_holder_name", run: "edit 周" },
        { trigger: "#haoka_id_number", run: "edit 110105199001014564" },
        { trigger: "#haoka_phone", run: "edit 13912345678" },
        { trigger: "#haoka_recipient", run: "edit 周" },
        { trigger: "#haoka_state", run: "selectByIndex 1" },
        { trigger: "#haoka_city", run: "edit 北京" },
        { trigger: "#haoka_street", run: "edit 人民路 1 号" },
        { content: "Confirm", trigger: ".o_haoka_holder_form button[type='submit']", run: "click" },
        { content: "The confirmed order offers online payment", trigger: ".o_haoka_order .o_haoka_pay" },
        {
            content: "Pay from the balance (预存款 first)",
            trigger: ".o_haoka_order .o_haoka_pay_from_balance",
            run: "click",
        },
        { content: "The order is paid", trigger: ".o_haoka_order .o_haoka_paid" },
    ],
});
