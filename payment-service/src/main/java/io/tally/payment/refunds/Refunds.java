package io.tally.payment.refunds;

import java.time.Clock;
import java.time.Instant;

import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

import org.springframework.context.ApplicationEventPublisher;
import org.springframework.stereotype.Component;
import org.springframework.transaction.annotation.Transactional;

import io.tally.payment.payments.Payment;

/**
 * Refund requests: a payment's refund is requested once, under the number derived from the payment, and issued by
 * the {@link RefundWorker} after the request commits; an operator may make a pending one due again.
 */
@Component
public class Refunds {

    private static final Logger log = LoggerFactory.getLogger(Refunds.class);

    private final RefundStore store;

    private final ApplicationEventPublisher events;

    private final Clock clock;

    Refunds(RefundStore store, ApplicationEventPublisher events, Clock clock) {
        this.store = store;
        this.events = events;
        this.clock = clock;
    }

    /** The refund number of a payment: derived from it, so that every request for it is the same request. */
    static String refundNo(String paymentNo) {
        return paymentNo + "-R1";
    }

    /**
     * Requests the refund of the payment's money, in the caller's transaction, under the number derived from the
     * payment: recorded once ({@code REQUESTED}), and issued by the refund worker after the commit
     * ({@link RefundRequested}). Moving the payment is the caller's ({@code Settlement.refund}).
     * @return whether it was requested now ({@code false}: it was requested before)
     */
    public boolean request(Payment payment, String reason, Instant now) {
        String refundNo = refundNo(payment.paymentNo());
        if (!this.store.request(refundNo, payment, reason, now)) {
            return false;
        }
        log.info("Refund {} of {} requested for payment {} (order {}): {}", refundNo, payment.amount(),
                payment.paymentNo(), payment.orderNo(), reason);
        this.events.publishEvent(new RefundRequested(refundNo));
        return true;
    }

    /** Makes a pending refund due now and lifts its flag (an operator's action); {@code false} if it is not pending. */
    @Transactional
    public boolean retryNow(String refundNo) {
        return this.store.retryNow(refundNo, this.clock.instant());
    }
}
