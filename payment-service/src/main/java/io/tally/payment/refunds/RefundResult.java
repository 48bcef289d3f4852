package io.tally.payment.refunds;

import org.jspecify.annotations.Nullable;

/**
 * What an attempt to issue a refund did, as the operator's retry answers it and reconciliation records it.
 *
 * @param kind what happened
 * @param detail the channel's refusal, or when the next attempt is due; {@code null} for the other kinds
 */
public record RefundResult(Kind kind, @Nullable String detail) {

    public RefundResult {
        if (kind.template.contains("%s") != (detail != null)) {
            throw new IllegalArgumentException(kind + (detail != null ? " takes no detail" : " needs a detail"));
        }
    }

    static RefundResult of(Kind kind) {
        return new RefundResult(kind, null);
    }

    /** What happened, each with its text ({@code %s}: the detail). */
    public enum Kind {
        /** The channel confirmed it. */
        REFUNDED("refunded"),
        /** The channel refused it (4xx): flagged for an operator. */
        REFUSED("refused: %s"),
        /** It is unknown, or not pending (confirmed already): nothing was issued. */
        NOT_PENDING("not pending"),
        /** No usable answer, after its last attempt: flagged for an operator. */
        FAILED_FLAGGED("failed; flagged"),
        /** No usable answer: tried again at the time in the detail. */
        FAILED("failed; next attempt at %s");

        private final String template;

        Kind(String template) {
            this.template = template;
        }
    }

    /** The text answered and recorded: {@code refunded}, {@code refused: 409 ...}, {@code not pending}, ... */
    public String text() {
        return this.detail != null ? this.kind.template.formatted(this.detail) : this.kind.template;
    }

    @Override
    public String toString() {
        return text();
    }
}
