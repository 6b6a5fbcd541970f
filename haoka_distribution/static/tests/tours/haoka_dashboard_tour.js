import { registry } from "@web/core/registry";

// A 号卡主管 reads the distribution dashboard and opens a distributor's figures. Relies on the order
// made by the Python test (3 cards sold by "Dash Agent" this month).
registry.category("web_tour.tours").add("haoka_dashboard", {
    url: "/odoo/sim-dashboard",
    steps: () => [
        {
            content: "The dashboard counts this month's cards",
            trigger: ".o_haoka_dashboard .o_haoka_kpi[data-kpi='cards'] .o_haoka_kpi_value:contains('3')",
        },
        {
            content: "Labels are in Chinese",
            trigger: ".o_haoka_dashboard h2:contains('分销看板')",
        },
        {
            content: "Switch to all time",
            trigger: ".o_haoka_periods button[data-period='all']",
            run: "click",
        },
        {
            content: "The period is selected",
            trigger: ".o_haoka_periods button.btn-primary[data-period='all']",
        },
        {
            content: "Open the distributor's figures",
            trigger: ".o_haoka_top_distributors tr:contains('Dash Agent') td",
            run: "click",
        },
        {
            content: "The distribution analysis opens on that distributor",
            trigger: ".o_pivot_view .o_pivot",
        },
        {
            content: "Back to the dashboard through the breadcrumb",
            trigger: ".o_breadcrumb .breadcrumb-item a",
            run: "click",
        },
        {
            content: "The dashboard is back",
            trigger: ".o_haoka_dashboard .o_haoka_funnel",
        },
    ],
});
