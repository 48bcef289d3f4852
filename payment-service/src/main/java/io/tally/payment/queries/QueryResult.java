package io.tally.payment.queries;

import org.jspecify.annotations.Nullable;

/**
 * What a query of a payment's trade learnt, as {@code payment.last_query_result} stores it and the operator's
 * query answers it (its {@link #text()}).
 *
 * @param kind what was learnt
 * @param detail the status, the mismatch or the error; {@code null} for the kinds without one
 * @param flagged whether the payment was flagged for an operator by this query (the stored result leaves it out)
 */
public record QueryResult(Kind kind, @Nullable String detail, boolean flagged) {

    public QueryResult {
        if (kind.template.contains("%s") != (detail != null)) {
            throw new IllegalArgumentException(kind + (detail != null ? " takes no detail" : " needs a detail"));
        }
    }

    static QueryResult of(Kind kind) {
        return new QueryResult(kind, null, false);
    }

    static QueryResult of(Kind kind, String detail) {
        return new QueryResult(kind, detail, false);
    }

    /** What was learnt, each with its text ({@code %s}: the detail). */
    public enum Kind {
        /** The payment was no longer paying (a callback or a close came first). */
        SETTLED_MEANWHILE("settled meanwhile: %s", true),
        /** The trade was closed or expired unpaid: the payment is closed. */
        CLOSED("closed at the channel", true),
        /** Paid, but not what was asked (the detail says how the payment was made abnormal). */
        ABNORMAL("%s", true),
        /** Paid as asked: the payment succeeded. */
        PAID("paid, found by query", true),
        /** Paid as asked for an order cancelled meanwhile: succeeded, and refunded. */
        PAID_AND_REFUNDED("paid, found by query; refunded: the order is cancelled", true),
        /** Captured after the payment was closed (reconciliation's repair): refunded. */
        CAPTURED_AFTER_CLOSE("captured after close: refund requested", true),
        /** The channel knows no such trade (yet): asked again later. */
        UNKNOWN("unknown at the channel", false),
        /** The trade waits for the user: asked again later. */
        NOT_PAID_YET("not paid yet", false),
        /** The channel could not be asked: asked again later. */
        FAILED("query failed: %s", false);

        private final String template;

        private final boolean learnt;

        Kind(String template, boolean learnt) {
            this.template = template;
            this.learnt = learnt;
        }

        /** Whether the payment's fate is known now (its queries end), or it is to be asked about again. */
        public boolean learnt() {
            return this.learnt;
        }
    }

    /** The same result, flagged for an operator. */
    QueryResult asFlagged() {
        return new QueryResult(this.kind, this.detail, true);
    }

    /**
     * The text: {@code paid, found by query}, {@code closed at the channel}, {@code not paid yet}, ...; a flagged
     * result ends in {@code ; flagged}.
     */
    public String text() {
        String text = this.detail != null ? this.kind.template.formatted(this.detail) : this.kind.template;
        return this.flagged ? text + "; flagged" : text;
    }

    @Override
    public String toString() {
        return text();
    }
}
