/**
 * WeChat Pay (API v3): payment-service's {@link io.tally.payment.channel.PaymentChannel} through the channel's official
 * SDK.
 */
@NullMarked
package io.tally.payment.channel.wechat;

import org.jspecify.annotations.NullMarked;
