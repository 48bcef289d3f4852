package io.tally.channel;

/** The HTTP headers of signed channel messages. */
public final class ChannelHeaders {

    /** The merchant that signed a request. */
    public static final String MERCHANT = "X-Channel-Merchant";

    /** Seconds since the epoch when the message was signed. */
    public static final String TIMESTAMP = "X-Channel-Timestamp";

    /** A random value used once per message. */
    public static final String NONCE = "X-Channel-Nonce";

    /** The base64 SHA256withRSA signature of the message's canonical text. */
    public static final String SIGNATURE = "X-Channel-Signature";

    /** The exact body a merchant answers to a callback it has applied. */
    public static final String CALLBACK_SUCCESS = "success";

    private ChannelHeaders() {
    }
}
