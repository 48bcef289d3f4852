package io.tally.payment.operator;

import java.time.Clock;
import java.util.List;
import java.util.Map;

import org.jspecify.annotations.Nullable;

import org.springframework.jdbc.core.simple.JdbcClient;
import org.springframework.stereotype.Component;
import org.springframework.transaction.annotation.Transactional;

import io.tally.jdbc.SqlTime;
import io.tally.payment.refunds.RefundStatus;
import io.tally.payment.refunds.Refunds;

/** Operators' actions on payments and refunds, each recorded with who and when (the {@code operator_action} table). */
@Component
class OperatorActions {

    private final Refunds refunds;

    private final JdbcClient jdbc;

    private final Clock clock;

    OperatorActions(Refunds refunds, JdbcClient jdbc, Clock clock) {
        this.refunds = refunds;
        this.jdbc = jdbc;
        this.clock = clock;
    }

    /** Records an action. */
    @Transactional
    public void record(String action, String target, String operator, @Nullable String detail) {
        this.jdbc.sql("INSERT INTO operator_action (action, target, operator, detail, acted_at) VALUES (?, ?, ?, ?, ?)")
            .params(action, target, operator, detail != null && detail.length() > 1000 ? detail.substring(0, 1000) : detail,
                    SqlTime.of(this.clock.instant()))
            .update();
    }

    /** Makes a pending refund due now and lifts its flag; {@code false} when it is not pending. */
    @Transactional
    public boolean retryRefundNow(String refundNo) {
        return this.refunds.retryNow(refundNo);
    }

    /** The payments and refunds flagged for an operator. */
    @Transactional(readOnly = true)
    public Map<String, Object> flagged() {
        return Map.of("payments", this.jdbc.sql("""
                SELECT payment_no, order_no, status, query_attempts, last_query_result, flagged_at FROM payment
                WHERE flagged_at IS NOT NULL ORDER BY flagged_at""").query().listOfRows(),
                "refunds", this.jdbc.sql("""
                SELECT refund_no, payment_no, amount, attempts, last_error, flagged_at FROM refund
                WHERE flagged_at IS NOT NULL AND status = ? ORDER BY flagged_at""")
                    .param(RefundStatus.REQUESTED.name()).query().listOfRows());
    }

    /** The actions taken on a payment or refund, oldest first. */
    @Transactional(readOnly = true)
    public List<Map<String, Object>> of(String target) {
        return this.jdbc.sql("SELECT action, target, operator, detail, acted_at FROM operator_action WHERE target = ? ORDER BY id")
            .param(target)
            .query()
            .listOfRows();
    }
}
