import { registry } from "@web/core/registry";

// A 号卡业务员 ships an order from the 待发货 (To Ship) list. Relies on the order made by the Python test.
registry.category("web_tour.tours").add("haoka_ship_from_to_ship_list", {
    url: "/odoo/sim-orders-to-ship",
    steps: () => [
        {
            content: "The list shows the packer the recipient's phone, address and the numbers",
            trigger: ".o_list_view .o_data_row:contains('HAOKA-TOUR') .o_data_cell[name='haoka_recipient_phone']:contains('13700777777')",
        },
        {
            content: "… and the cards' numbers",
            trigger: ".o_list_view .o_data_row:contains('HAOKA-TOUR') .o_data_cell[name='haoka_card_numbers']:contains('13800777777')",
        },
        {
            content: "Open the order waiting to be shipped",
            trigger: ".o_list_view .o_data_row .o_data_cell:contains('HAOKA-TOUR')",
            run: "click",
        },
        {
            content: "Ship it",
            trigger: ".o_form_view .o_form_statusbar button[name='action_haoka_ship']",
            run: "click",
        },
        {
            content: "The wizard shows the card that goes out",
            trigger: ".modal .o_data_row .o_data_cell[name='card_numbers']:contains('13800777777')",
        },
        {
            content: "… with the recipient's phone and address",
            trigger: ".modal .o_data_row .o_data_cell[name='recipient_phone']:contains('13700777777')",
        },
        {
            content: "… and the card holder",
            trigger: ".modal .o_data_row .o_data_cell[name='holder_name']:contains('测试')",
        },
        {
            content: "The courier's file can fill the tracking numbers",
            trigger: ".modal .o_field_widget[name='tracking_file']",
        },
        {
            content: "A courier is preselected",
            trigger: ".modal .o_field_widget[name='courier_id'] input",
        },
        {
            content: "Click the tracking number cell",
            trigger: ".modal .o_data_row .o_data_cell[name='tracking_ref']",
            run: "click",
        },
        {
            content: "Enter the tracking number",
            trigger: ".modal .o_data_row .o_data_cell[name='tracking_ref'] input",
            run: "edit SF9876543210",
        },
        {
            content: "Confirm the shipping",
            trigger: ".modal .modal-footer button[name='action_ship']",
            run: "click",
        },
        {
            content: "The order is shipped: receipt can now be confirmed",
            trigger: ".o_form_view .o_form_statusbar button[name='action_haoka_confirm_receipt']",
        },
    ],
});

// A packer ships a whole batch: selects the orders of the 待发货 list, uploads the courier's export with the
// tracking numbers (order reference → 运单号) and ships. Relies on the orders made by the Python test.
registry.category("web_tour.tours").add("haoka_ship_batch_from_courier_file", {
    url: "/odoo/sim-orders-to-ship",
    steps: () => [
        {
            content: "Both orders of the batch are listed",
            trigger: ".o_list_view .o_data_row:contains('HAOKA-BATCH-2')",
        },
        {
            content: "Select the first order",
            trigger: ".o_list_view .o_data_row:contains('HAOKA-BATCH-1') .o_list_record_selector input",
            run: "click",
        },
        {
            content: "… and the second",
            trigger: ".o_list_view .o_data_row:contains('HAOKA-BATCH-2') .o_list_record_selector input",
            run: "click",
        },
        {
            content: "Ship the selection",
            trigger: ".o_control_panel button[name='action_haoka_ship']",
            run: "click",
        },
        {
            content: "Upload the courier's export",
            trigger: ".modal .o_field_widget[name='tracking_file'] input[type='file']:not(:visible)",
            run() {
                const names = [...document.querySelectorAll(".modal .o_data_row .o_data_cell[name='order_id']")]
                    .map((cell) => cell.textContent.trim());
                const csv = ["订单号,收件人,运单号", ...names.map((name, i) => `${name},客户,YT-BATCH-${i + 1}`)];
                const transfer = new DataTransfer();
                transfer.items.add(new File([csv.join("\n")], "运单导出.csv", { type: "text/csv" }));
                this.anchor.files = transfer.files;
                this.anchor.dispatchEvent(new Event("change", { bubbles: true }));
            },
        },
        {
            content: "Fill the tracking numbers from the file",
            trigger: ".modal button[name='action_fill_tracking']",
            run: "click",
        },
        {
            content: "The file check says both were filled",
            trigger: ".modal .o_field_widget[name='tracking_report_html']:contains('2')",
        },
        {
            content: "The second order got its tracking number",
            trigger: ".modal .o_data_row .o_data_cell[name='tracking_ref']:contains('YT-BATCH-2')",
        },
        {
            content: "Ship the batch",
            trigger: ".modal .modal-footer button[name='action_ship']",
            run: "click",
        },
        {
            content: "The wizard is closed",
            trigger: "body:not(:has(.modal))",
        },
    ],
});
