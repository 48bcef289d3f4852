package io.tally.payment.queries;

import org.jspecify.annotations.Nullable;

/**
 * What the close of a cancelled order's trade did, as the close worker logs it.
 *
 * @param kind what was done
 * @param detail the payment's status, the abnormal outcome or the error; {@code null} for the kinds without one
 */
public record TradeCloseResult(Kind kind, @Nullable String detail) {

    public TradeCloseResult {
        if (kind.template.contains("%s") != (detail != null)) {
            throw new IllegalArgumentException(kind + (detail != null ? " takes no detail" : " needs a detail"));
        }
    }

    static TradeCloseResult of(Kind kind) {
        return new TradeCloseResult(kind, null);
    }

    /** What was done, each with its text ({@code %s}: the detail). */
    public enum Kind {
        /** Closed: the payment is closed. */
        CLOSED("closed", true),
        /** Nothing to close: the payment was closed or settled already (its status in the detail). */
        NOTHING("nothing to close: the payment is %s", true),
        /** The trade was paid already: the money is refunded. */
        ALREADY_PAID("already paid: refund requested", true),
        /** The trade was paid already, not what was asked: abnormal (the detail), and the money is refunded. */
        ABNORMAL("%s; refund requested", true),
        /** The close answered already paid, but the trade shows no payment: tried again. */
        UNCONFIRMED("the close answered already paid, but the trade shows no payment", false),
        /** The channel could not be asked: tried again. */
        FAILED("close failed: %s", false);

        private final String template;

        private final boolean done;

        Kind(String template, boolean done) {
            this.template = template;
            this.done = done;
        }

        /** Whether the close is done (the channel answered and the answer is applied), or is to be tried again. */
        public boolean done() {
            return this.done;
        }
    }

    /** The text: {@code closed}, {@code already paid: refund requested}, ... */
    public String text() {
        return this.detail != null ? this.kind.template.formatted(this.detail) : this.kind.template;
    }

    @Override
    public String toString() {
        return text();
    }
}
