package io.tally.payment.payments;

import java.time.Duration;

import org.springframework.boot.context.properties.ConfigurationProperties;
import org.springframework.boot.context.properties.bind.DefaultValue;

/**
 * How a payment request waits for an order payment-service has not heard of yet. order-service shows an order
 * as awaiting payment as soon as it commits; payment-service learns it from {@code order.awaiting-payment} a
 * moment later (longer under load, or while the broker is away). A request for an order not known yet waits for
 * that event, outside any transaction and holding no connection between looks, instead of being refused.
 *
 * @param maxWait how long a request waits for the order to become known before it is answered as not payable
 * @param poll how often it looks
 */
@ConfigurationProperties("payment.payable")
public record PayableProperties(@DefaultValue("10s") Duration maxWait, @DefaultValue("50ms") Duration poll) {
}
