package io.tally.payment.channel;

import java.util.Collection;

/** A payment asked for a channel this service is not configured for. */
public class UnknownChannelException extends RuntimeException {

    public UnknownChannelException(String name, Collection<String> configured) {
        super("Unknown payment channel '" + name + "': this service is configured for " + configured);
    }
}
