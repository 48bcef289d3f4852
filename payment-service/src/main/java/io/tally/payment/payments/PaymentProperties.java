package io.tally.payment.payments;

import java.time.Duration;
import java.util.List;

import org.springframework.boot.context.properties.ConfigurationProperties;
import org.springframework.boot.context.properties.bind.DefaultValue;

/**
 * Active queries, closes and refund retries: how payment-service asks the channel on its own (the {@code queries}
 * and {@code refunds} packages), and when a new payment's first query is due.
 *
 * @param queryDelays the wait before the first query of a payment without callback, then between queries; the
 * last one repeats
 * @param queryMaxAttempts after this many queries a payment still unknown is flagged for an operator
 * @param refundDelays the waits between attempts of a refund the channel did not confirm; the last one repeats
 * @param refundMaxAttempts after this many failed attempts a refund is flagged for an operator
 * @param poll how often due queries and refunds are looked for
 * @param batch how many are claimed at once
 * @param lease how long a claimed query or refund is reserved for its claimer (longer than a channel call)
 * @param deadlineQueries when a payment still without an answer is also queried, after the deadline shown to the
 * user (0s: at the deadline; 30s: in the grace before the order is cancelled), whatever {@code queryDelays} says,
 * so that a payment made in time whose callback was lost is applied before the cancellation; empty for none
 * @param closeDelays the waits between attempts of a close of a cancelled order's trade that the channel did not
 * answer; the last one repeats (a close is tried until the channel answers: until then the trade is open)
 */
@ConfigurationProperties("payment.checks")
public record PaymentProperties(@DefaultValue({ "1m", "5m", "15m", "1h" }) List<Duration> queryDelays,
        @DefaultValue("27") int queryMaxAttempts, @DefaultValue({ "10s", "1m", "5m", "15m", "1h" }) List<Duration> refundDelays,
        @DefaultValue("20") int refundMaxAttempts, @DefaultValue("1s") Duration poll, @DefaultValue("20") int batch,
        @DefaultValue("1m") Duration lease, @DefaultValue({ "0s", "30s" }) List<Duration> deadlineQueries,
        @DefaultValue({ "5s", "30s", "1m", "5m" }) List<Duration> closeDelays) {

    public PaymentProperties {
        deadlineQueries = deadlineQueries.stream().sorted().toList();
    }

    /**
     * When to query a payment next: after its schedule's delay for the attempts made so far, or at the first of its
     * deadline queries still to come, whichever is sooner.
     * @param now the time of the decision
     * @param attempts the queries made so far
     * @param deadline the deadline shown to the user (the trade's expiry)
     */
    public java.time.Instant nextQuery(java.time.Instant now, int attempts, java.time.Instant deadline) {
        java.time.Instant scheduled = now.plus(delay(this.queryDelays, attempts));
        for (Duration offset : this.deadlineQueries) {
            java.time.Instant checkpoint = deadline.plus(offset);
            if (checkpoint.isAfter(now)) {
                return checkpoint.isBefore(scheduled) ? checkpoint : scheduled;
            }
        }
        return scheduled;
    }

    /** The wait after the given number of attempts. */
    public static Duration delay(List<Duration> delays, int attempts) {
        return delays.get(Math.min(attempts, delays.size() - 1));
    }
}
