/**
 * The payment channels as payment-service sees them ({@link io.tally.payment.channel.PaymentChannel}, one per
 * protocol: the simulator's own here, Alipay and WeChat Pay in their packages), and the exchange log of every request and callback
 * (the callbacks themselves are the {@code callbacks} package's).
 */
@NullMarked
package io.tally.payment.channel;

import org.jspecify.annotations.NullMarked;
