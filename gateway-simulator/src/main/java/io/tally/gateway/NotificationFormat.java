package io.tally.gateway;

import java.time.Duration;
import java.util.List;
import java.util.Map;

import io.tally.channel.ChannelMessages.CreateTrade;
import io.tally.channel.ChannelMessages.Trade;

/**
 * How one protocol notifies a merchant that a trade is paid: the request of each send (signed afresh), what the
 * merchant must answer for the channel to stop, and how long the channel keeps trying.
 */
interface NotificationFormat {

    /** The protocol this format is of. */
    Protocol protocol();

    /**
     * One send of the notification that {@code trade} is paid. Built again for each send: timestamps, nonces and
     * signatures are fresh, the notification's own id stays the same.
     * @param amount the amount the notification states (the trade's, or another when a fault tampers with it)
     */
    Send send(Trade trade, CreateTrade request, long amount);

    /** Whether the merchant's answer acknowledges the notification (the channel sends it no more). */
    boolean acknowledged(int status, String body);

    /** The delays between sends of a notification the merchant did not acknowledge; after the last, it gives up. */
    List<Duration> retryDelays();

    /**
     * A request to send.
     * @param contentType its content type
     * @param headers its headers besides the content type
     * @param body its body
     */
    record Send(String contentType, Map<String, String> headers, String body) {
    }
}
