package io.tally.gateway;

import java.time.Instant;
import java.time.ZoneOffset;
import java.time.format.DateTimeFormatter;

/** The protocols the simulator speaks: its own, Alipay's and WeChat Pay's (API v3). */
enum Protocol {

    /** The simulator's own protocol ({@code /gateway/...}). */
    TALLY,
    /** Alipay's open API ({@code /alipay/gateway.do}). */
    ALIPAY,
    /** WeChat Pay API v3 ({@code /v3/...}). */
    WECHAT;

    private static final DateTimeFormatter DAY = DateTimeFormatter.ofPattern("yyyyMMdd").withZone(ZoneOffset.UTC);

    /** The channel's own number of a new trade, shaped as the channel shapes them. */
    String tradeNo(long sequence, Instant now) {
        return switch (this) {
            case TALLY -> "T" + sequence;
            // Alipay: 28 digits starting with the day; WeChat: 28 digits starting with 4200000
            case ALIPAY -> DAY.format(now) + "2200" + String.format("%016d", sequence);
            case WECHAT -> "4200000" + DAY.format(now).substring(2) + String.format("%015d", sequence);
        };
    }
}
