package io.tally.payment.reconciliation;

import java.time.Duration;
import java.time.LocalTime;

import org.springframework.boot.context.properties.ConfigurationProperties;
import org.springframework.boot.context.properties.bind.DefaultValue;

/**
 * Reconciliation.
 *
 * @param enabled whether the daily run is scheduled (operators can always trigger one)
 * @param dailyAt the time of day (in {@code zone}) from which yesterday's statement is reconciled
 * @param holdOver local captures and refunds this close to the day's end that the statement lacks are held over
 * to the next day's run instead of being reported (the channel may have booked them after midnight)
 * @param poll how often the scheduler checks whether the daily run is due
 * @param zone the zone of the business day: the channel's statement of a day runs from midnight to midnight
 * there (Chinese channels cut at Asia/Shanghai), and so must the local side of the comparison
 * @param catchUpDays how far back the scheduler reconciles days it missed (while the service was down, or
 * whose run failed): every day since its first scheduled run that has no finished scheduled run, at most this
 * many days back from yesterday
 */
@ConfigurationProperties("payment.reconciliation")
public record ReconciliationProperties(@DefaultValue("true") boolean enabled, @DefaultValue("02:00") LocalTime dailyAt,
        @DefaultValue("15m") Duration holdOver, @DefaultValue("1m") Duration poll,
        @DefaultValue("UTC") java.time.ZoneId zone, @DefaultValue("31") int catchUpDays) {
}
