package io.tally.payment.operator;

import java.security.Principal;
import java.util.List;
import java.util.Map;

import org.springframework.http.HttpStatus;
import org.springframework.http.ResponseEntity;
import org.springframework.web.bind.annotation.GetMapping;
import org.springframework.web.bind.annotation.PathVariable;
import org.springframework.web.bind.annotation.PostMapping;
import org.springframework.web.bind.annotation.RequestMapping;
import org.springframework.web.bind.annotation.RestController;

import io.tally.http.Problems;
import io.tally.payment.channel.ExchangeLog;
import io.tally.payment.payments.PaymentService;
import io.tally.payment.payments.UnknownPaymentException;
import io.tally.payment.queries.Queries;
import io.tally.payment.refunds.RefundWorker;

/** Operators' compensation endpoints: query a payment now, retry a stuck refund, read the exchange log. */
@RestController
@RequestMapping("/api/admin")
class PaymentAdminController {

    private final Queries queries;

    private final RefundWorker refunds;

    private final PaymentService payments;

    private final ExchangeLog exchanges;

    private final OperatorActions actions;

    PaymentAdminController(Queries queries, RefundWorker refunds, PaymentService payments, ExchangeLog exchanges,
            OperatorActions actions) {
        this.queries = queries;
        this.refunds = refunds;
        this.payments = payments;
        this.exchanges = exchanges;
        this.actions = actions;
    }

    @PostMapping("/payments/{paymentNo}/query")
    Map<String, Object> query(@PathVariable @jakarta.validation.constraints.Size(max = 40) String paymentNo, Principal operator) {
        this.payments.get(paymentNo);
        String outcome = this.queries.query(paymentNo).text();
        this.actions.record("QUERY_PAYMENT", paymentNo, operator.getName(), outcome);
        return Map.of("payment", this.payments.get(paymentNo), "outcome", outcome);
    }

    @PostMapping("/refunds/{refundNo}/retry")
    ResponseEntity<?> retryRefund(@PathVariable String refundNo, Principal operator) {
        if (!this.actions.retryRefundNow(refundNo)) {
            return ResponseEntity.status(HttpStatus.CONFLICT).body(Problems.of(HttpStatus.CONFLICT, "refund-not-pending",
                    "Refund not pending", "Refund " + refundNo + " is unknown or already confirmed"));
        }
        String outcome = this.refunds.issue(refundNo).text();
        this.actions.record("RETRY_REFUND", refundNo, operator.getName(), outcome);
        return ResponseEntity.ok(Map.of("refundNo", refundNo, "outcome", outcome));
    }

    @GetMapping("/payments/{paymentNo}/exchanges")
    List<ExchangeLog.Stored> exchanges(@PathVariable String paymentNo) {
        return this.exchanges.ofTrade(paymentNo);
    }

    @GetMapping("/payments/flagged")
    Map<String, Object> flagged() {
        return this.actions.flagged();
    }

    @GetMapping("/actions/{target}")
    List<Map<String, Object>> actions(@PathVariable String target) {
        return this.actions.of(target);
    }

    @org.springframework.web.bind.annotation.ExceptionHandler
    org.springframework.http.ProblemDetail unknown(UnknownPaymentException ex) {
        return io.tally.http.Problems.of(org.springframework.http.HttpStatus.NOT_FOUND, "unknown-payment", "Unknown payment",
                ex.getMessage());
    }
}
