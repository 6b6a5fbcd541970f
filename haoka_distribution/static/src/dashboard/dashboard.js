import { Component, onWillStart, useState } from "@odoo/owl";
import { registry } from "@web/core/registry";
import { useService } from "@web/core/utils/hooks";

/**
 * 分销看板: the distribution figures of one period. Figures, labels and the action behind each figure
 * come from the server (haoka.distribution.dashboard.get_data), read with the user's own rights.
 */
export class HaokaDashboard extends Component {
    static template = "haoka_distribution.Dashboard";
    static props = ["*"];

    setup() {
        this.orm = useService("orm");
        this.actionService = useService("action");
        this.state = useState({ period: "month", data: null });
        onWillStart(() => this.load());
    }

    async load() {
        this.state.data = await this.orm.call("haoka.distribution.dashboard", "get_data", [this.state.period]);
    }

    async setPeriod(period) {
        this.state.period = period;
        await this.load();
    }

    open(action) {
        this.actionService.doAction(action);
    }
}

registry.category("actions").add("haoka_distribution.dashboard", HaokaDashboard);
