/** Daily reconciliation against the channel statement, its differences and their resolution. */
@NullMarked
package io.tally.payment.reconciliation;

import org.jspecify.annotations.NullMarked;
