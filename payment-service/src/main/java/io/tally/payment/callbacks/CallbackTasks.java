package io.tally.payment.callbacks;

import org.springframework.context.annotation.Bean;
import org.springframework.context.annotation.Configuration;

import io.tally.maintenance.PeriodicTask;
import io.tally.payment.channel.ChannelProperties;

/** Purges the nonces of callbacks whose timestamps can no longer be accepted, off the callback path. */
@Configuration(proxyBeanMethods = false)
class CallbackTasks {

    @Bean
    PeriodicTask callbackNoncePurge(CallbackVerifier verifier, ChannelProperties properties) {
        return new PeriodicTask("callback-nonce-purge", properties.callbackMaxAge(), properties.callbackMaxAge(),
                verifier::forgetOldNonces, true);
    }
}
