package io.tally.payment.callbacks;

import org.jspecify.annotations.Nullable;

/**
 * What applying a verified callback did, as {@code channel_callback.outcome} records it (its {@link #text()}). A
 * {@link Kind#REFUSED refused} callback is answered 403, with this text.
 *
 * @param kind what was done
 * @param detail what did not match, the abnormal outcome, the trade or payment status; {@code null} for the kinds
 * without one
 */
record CallbackResult(Kind kind, @Nullable String detail) {

    CallbackResult {
        if (kind.template.contains("%s") != (detail != null)) {
            throw new IllegalArgumentException(kind + (detail != null ? " takes no detail" : " needs a detail"));
        }
    }

    static CallbackResult of(Kind kind) {
        return new CallbackResult(kind, null);
    }

    /** What was done, each with its text ({@code %s}: the detail). */
    enum Kind {
        /** Not this payment's (another merchant, trade or currency): refused, nothing applied. */
        REFUSED("refused: %s"),
        /** Another amount for our trade: the detail says how the payment was made abnormal. */
        ABNORMAL("%s"),
        /** Another amount, and money taken after the close: abnormal (the detail), and the money is refunded. */
        ABNORMAL_CAPTURED_AFTER_CLOSE("%s; captured after close: refund requested"),
        /** Another trade status than paid (in the detail): nothing to do. */
        NOT_PAID("ignored: trade status %s"),
        /** Paid as asked: the payment succeeded. */
        SUCCEEDED("succeeded"),
        /** Paid as asked for an order cancelled meanwhile: succeeded, and refunded. */
        SUCCEEDED_AND_REFUNDED("succeeded; refunded: the order is cancelled"),
        /** Paid as asked after the trade was closed: the money is refunded. */
        CAPTURED_AFTER_CLOSE("captured after close: refunded"),
        /** A repeated callback for a settled payment (its status in the detail): nothing to do. */
        DUPLICATE("duplicate: payment already %s"),
        /** The payment is abnormal already: nothing more to do. */
        ALREADY_ABNORMAL("ignored: payment is abnormal");

        private final String template;

        Kind(String template) {
            this.template = template;
        }
    }

    /** The text: {@code succeeded}, {@code refused: merchant M9 is not ours}, {@code abnormal: amount 1 ...}, ... */
    String text() {
        return this.detail != null ? this.kind.template.formatted(this.detail) : this.kind.template;
    }

    @Override
    public String toString() {
        return text();
    }
}
